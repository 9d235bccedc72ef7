import { CATALOGUE } from '../sensing/catalogue.js';
import { makeProblem, renderValue, type ConfigProblem, type PathSegment } from './problem.js';
import { didYouMean } from './suggest.js';

export interface CrossCheckOptions {
  /** Maps a serial path to the device it names (e.g. a /dev/serial/by-id link to /dev/ttyUSB0); identity by default. */
  readonly resolveSerialPath?: (path: string) => string;
}

type Loose = Record<string, unknown>;

const asObject = (v: unknown): Loose | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : undefined);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

/**
 * Checks that need more than one key at a time: unique ids, references between sensors, buses and profiles,
 * one owner per serial port, one sensor per device register. Works on the raw parsed YAML, reading each field
 * only if it has the right type, so these problems are reported together with the schema's.
 */
export function crossCheck(input: unknown, opts: CrossCheckOptions = {}): ConfigProblem[] {
  const root = asObject(input) ?? {};
  const buses = asList(root.buses).map(asObject);
  const sensors = asList(root.sensors).map(asObject);
  const profiles = asObject(root.profiles) ?? {};
  const out: ConfigProblem[] = [];

  const busIds = uniqueIds('buses', buses, 'bus', out);
  uniqueIds('sensors', sensors, 'sensor', out);
  const catalogueNames = Object.keys(CATALOGUE);
  const profileNames = Object.keys(profiles);
  for (const name of profileNames) {
    if (catalogueNames.includes(name)) {
      out.push(
        makeProblem(['profiles', name], {
          value: renderValue(name),
          message: `"${name}" is the name of a built-in catalogue profile; give your profile another name so it is clear which one a sensor uses`,
          expected: `a name other than ${catalogueNames.join(', ')}`,
          messageZh: `"${name}" 与内置设备型号重名, 请换一个名字`,
        }),
      );
    }
  }

  checkFeedTokens(root, out);
  checkSl651References(root, sensors, out);
  checkCameraSites(root, out);
  checkSmsReferences(root, out);
  checkSerialPaths(buses, opts.resolveSerialPath ?? ((p) => p), out);
  checkTcpEndpoints(buses, out);
  for (const [i, bus] of buses.entries()) {
    const breaker = asObject(bus?.breaker);
    const openMs = int(breaker?.openMs) ?? 5_000;
    const maxOpenMs = int(breaker?.maxOpenMs) ?? 60_000;
    if (breaker !== undefined && openMs > maxOpenMs) {
      out.push(
        makeProblem(['buses', i, 'breaker', 'openMs'], {
          value: String(openMs),
          message: `${openMs} is above maxOpenMs (${maxOpenMs}); the first open time cannot exceed the longest`,
          expected: `at most ${maxOpenMs}`,
        }),
      );
    }
  }

  const usedBuses = new Set<string>();
  const devices = new Map<string, number>();
  for (const [i, sensor] of sensors.entries()) {
    if (sensor === undefined) continue;
    const busId = str(sensor.bus);
    const bus = busId === undefined ? undefined : busIds.get(busId);
    if (busId !== undefined) {
      usedBuses.add(busId);
      if (bus === undefined) out.push(unknownReference(['sensors', i, 'bus'], busId, [...busIds.keys()], 'bus'));
    }
    const profile = sensor.profile;
    if (typeof profile === 'string' && profile !== '' && !(profile in CATALOGUE) && !(profile in profiles)) {
      out.push(unknownProfile(['sensors', i, 'profile'], profile, catalogueNames, profileNames));
    }
    const slave = int(sensor.slave);
    if (slave === 0 && bus !== undefined && str(buses[bus]?.type) === 'rtu') {
      out.push(
        makeProblem(['sensors', i, 'slave'], {
          value: '0',
          message: '0 is the broadcast address on an RTU bus and no device answers it; expected the slave id set on the device, 1-247',
          expected: '1-247',
          messageZh: 'RTU 总线上 0 是广播地址, 设备不会应答; 应为 1-247',
        }),
      );
    }
    if (busId !== undefined && slave !== undefined && profile !== undefined) {
      const key = JSON.stringify([busId, slave, profile]);
      const first = devices.get(key);
      if (first !== undefined) {
        out.push(
          makeProblem(['sensors', i, 'slave'], {
            value: String(slave),
            message: `sensors[${first}] already reads slave ${slave} on bus "${busId}" with the same profile; a copied entry whose slave was not changed leaves the real device unread`,
            expected: 'a different slave id (or remove the duplicate sensor)',
            messageZh: `sensors[${first}] 已经读取同一总线同一从站同一型号, 请检查从站地址`,
          }),
        );
      } else {
        devices.set(key, i);
      }
    }
    const poll = int(sensor.pollIntervalMs) ?? 5_000;
    const stale = int(sensor.staleAfterMs);
    if (stale !== undefined && stale <= poll) {
      out.push(
        makeProblem(['sensors', i, 'staleAfterMs'], {
          severity: 'warning',
          value: String(stale),
          message: `${stale} is not longer than pollIntervalMs (${poll}), so the sensor will look stale between polls`,
          expected: `more than ${poll}, e.g. ${poll * 3}`,
        }),
      );
    }
  }

  for (const [id, index] of busIds) {
    if (!usedBuses.has(id)) {
      out.push(makeProblem(['buses', index, 'id'], { severity: 'warning', value: renderValue(id), message: `no sensor uses bus "${id}"` }));
    }
  }
  if (sensors.length === 0) {
    out.push(makeProblem(['sensors'], { severity: 'warning', message: 'no sensors are configured; the box will poll nothing' }));
  }
  return out;
}

/** Records the first index of each id and reports later duplicates at their `id` key. */
function uniqueIds(list: string, entries: ReadonlyArray<Loose | undefined>, noun: string, out: ConfigProblem[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const [i, entry] of entries.entries()) {
    const id = str(entry?.id);
    if (id === undefined) continue;
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, i);
      continue;
    }
    out.push(
      makeProblem([list, i, 'id'], {
        value: renderValue(id),
        message: `"${id}" is already the id of ${list}[${first}]; each ${noun} needs its own id`,
        expected: `an id not used by another ${noun}`,
        messageZh: `"${id}" 与 ${list}[${first}] 的 id 重复`,
      }),
    );
  }
  return seen;
}

/** `sync.feedTokens` names tokens of `http.apiTokens`: a mistyped id would silently never match. */
function checkFeedTokens(root: Loose, out: ConfigProblem[]): void {
  const tokenIds = asList(asObject(root.http)?.apiTokens).flatMap((t) => str(asObject(t)?.id) ?? []);
  for (const [i, id] of asList(asObject(root.sync)?.feedTokens).entries()) {
    const name = str(id);
    if (name === undefined || tokenIds.includes(name)) continue;
    const near = didYouMean(name, tokenIds);
    const expected = tokenIds.length > 0 ? `one of ${tokenIds.join(', ')}` : 'the id of an entry under http.apiTokens (there are none)';
    out.push(
      makeProblem(['sync', 'feedTokens', i], {
        value: renderValue(name),
        message: `"${name}" is not the id of any http.apiTokens entry${near !== undefined ? `; did you mean "${near}"?` : `; expected ${expected}`}`,
        expected,
        messageZh: `找不到 id 为 "${name}" 的 API 令牌 (http.apiTokens)`,
      }),
    );
  }
}

/** `uplinks.sl651[].levels[].sensor` names a sensor; `rain[].site` an alarm site that has a rain gauge. */
function checkSl651References(root: Loose, sensors: ReadonlyArray<Loose | undefined>, out: ConfigProblem[]): void {
  const sensorIds = sensors.flatMap((s) => str(s?.id) ?? []);
  const sites = asList(asObject(root.alarms)?.sites).map(asObject);
  const siteIds = sites.flatMap((s) => str(s?.id) ?? []);
  const rainSites = sites.flatMap((s) => (s?.rainfall !== undefined ? (str(s.id) ?? []) : []));
  for (const [c, centre] of asList(asObject(root.uplinks)?.sl651).entries()) {
    for (const [i, level] of asList(asObject(centre)?.levels).entries()) {
      const id = str(asObject(level)?.sensor);
      if (id !== undefined && !sensorIds.includes(id)) out.push(unknownReference(['uplinks', 'sl651', c, 'levels', i, 'sensor'], id, sensorIds, 'sensor'));
    }
    for (const [i, rain] of asList(asObject(centre)?.rain).entries()) {
      const id = str(asObject(rain)?.site);
      if (id === undefined || rainSites.includes(id)) continue;
      const known = siteIds.includes(id);
      const near = didYouMean(id, rainSites);
      out.push(
        makeProblem(['uplinks', 'sl651', c, 'rain', i, 'site'], {
          value: renderValue(id),
          message: known
            ? `alarm site "${id}" has no rain gauge (no rainfall section), so there is no rain to report`
            : `"${id}" is not the id of an alarm site with a rain gauge${near !== undefined ? `; did you mean "${near}"?` : ''}`,
          expected: rainSites.length > 0 ? `one of ${rainSites.join(', ')}` : 'the id of an alarms.sites entry with rainfall (there are none)',
          messageZh: `找不到带雨量计的报警站点 "${id}"`,
        }),
      );
    }
  }
}

/** `cameras[].site` names an alarm site. */
function checkCameraSites(root: Loose, out: ConfigProblem[]): void {
  const siteIds = asList(asObject(root.alarms)?.sites).flatMap((s) => str(asObject(s)?.id) ?? []);
  for (const [i, camera] of asList(root.cameras).entries()) {
    const id = str(asObject(camera)?.site);
    if (id === undefined || siteIds.includes(id)) continue;
    const near = didYouMean(id, siteIds);
    const expected = siteIds.length > 0 ? `one of ${siteIds.join(', ')}` : 'the id of an entry under alarms.sites (there are none)';
    out.push(
      makeProblem(['cameras', i, 'site'], {
        value: renderValue(id),
        message: `"${id}" is not the id of any alarm site${near !== undefined ? `; did you mean "${near}"?` : `; expected ${expected}`}`,
        expected,
        messageZh: `找不到 id 为 "${id}" 的报警站点`,
      }),
    );
  }
}

/** `sms.people`/`sms.groups` ids are unique; groups name people; `alarms.sites[].notify[].group` names a group. */
function checkSmsReferences(root: Loose, out: ConfigProblem[]): void {
  const sms = asObject(root.sms);
  const people = asList(sms?.people).map(asObject);
  const groups = asList(sms?.groups).map(asObject);
  if (sms !== undefined) {
    uniqueIds('sms.people', people, 'person', out);
    uniqueIds('sms.groups', groups, 'group', out);
  }
  const personIds = people.flatMap((p) => str(p?.id) ?? []);
  const groupIds = groups.flatMap((g) => str(g?.id) ?? []);
  for (const [g, group] of groups.entries()) {
    for (const [i, id] of asList(group?.people).entries()) {
      const name = str(id);
      if (name === undefined || personIds.includes(name)) continue;
      out.push(smsUnknown(['sms', 'groups', g, 'people', i], name, personIds, 'sms.people', '联系人'));
    }
  }
  for (const [s, site] of asList(asObject(root.alarms)?.sites).entries()) {
    for (const [i, notify] of asList(asObject(site)?.notify).entries()) {
      const name = str(asObject(notify)?.group);
      if (name === undefined || groupIds.includes(name)) continue;
      out.push(
        sms === undefined
          ? makeProblem(['alarms', 'sites', s, 'notify', i, 'group'], {
              value: renderValue(name),
              message: 'notify names an SMS group but the config has no sms section, so no SMS could be sent',
              expected: 'an sms section with this group, or no notify',
              messageZh: '配置了短信通知但没有 sms 配置段',
            })
          : smsUnknown(['alarms', 'sites', s, 'notify', i, 'group'], name, groupIds, 'sms.groups', '短信组'),
      );
    }
  }
}

function smsUnknown(segments: readonly PathSegment[], name: string, known: readonly string[], list: string, zh: string): ConfigProblem {
  const near = didYouMean(name, known);
  const expected = known.length > 0 ? `one of ${known.join(', ')}` : `the id of an entry under ${list} (there are none)`;
  return makeProblem(segments, {
    value: renderValue(name),
    message: `"${name}" is not the id of any ${list} entry${near !== undefined ? `; did you mean "${near}"?` : `; expected ${expected}`}`,
    expected,
    messageZh: `找不到 id 为 "${name}" 的${zh}`,
  });
}

function unknownReference(segments: readonly PathSegment[], name: string, known: readonly string[], noun: string): ConfigProblem {
  const near = didYouMean(name, known);
  const list = noun === 'bus' ? 'buses' : 'sensors';
  const expected = known.length > 0 ? `one of ${known.join(', ')}` : `the id of an entry under ${list} (there are none)`;
  return makeProblem(segments, {
    value: renderValue(name),
    message: `"${name}" is not the id of any ${noun}${near !== undefined ? `; did you mean "${near}"?` : `; expected ${expected}`}`,
    expected,
    messageZh: `找不到 id 为 "${name}" 的${noun === 'bus' ? '总线' : '传感器'}`,
  });
}

function unknownProfile(segments: readonly PathSegment[], name: string, catalogue: readonly string[], own: readonly string[]): ConfigProblem {
  const near = didYouMean(name, [...catalogue, ...own]);
  const expected = `a catalogue profile (${catalogue.join(', ')})${own.length > 0 ? ` or a key of profiles (${own.join(', ')})` : ' or a key of profiles'}`;
  return makeProblem(segments, {
    value: renderValue(name),
    message: `"${name}" is not a known profile${near !== undefined ? `; did you mean "${near}"?` : `; expected ${expected}`}`,
    expected,
    messageZh: `未知的设备型号 "${name}"`,
  });
}

function checkSerialPaths(buses: ReadonlyArray<Loose | undefined>, resolve: (p: string) => string, out: ConfigProblem[]): void {
  const owners = new Map<string, { index: number; path: string }>();
  for (const [i, bus] of buses.entries()) {
    const path = str(bus?.path);
    if (str(bus?.type) !== 'rtu' || path === undefined || path === '') continue;
    const device = resolve(path);
    const owner = owners.get(device);
    if (owner === undefined) {
      owners.set(device, { index: i, path });
      continue;
    }
    const first = owner.index;
    const same = owner.path === path ? '' : ` (both are ${device})`;
    out.push(
      makeProblem(['buses', i, 'path'], {
        value: renderValue(path),
        message: `buses[${first}] already uses this serial port${same}; one RS-485 port is one bus: put all its sensors on buses[${first}]`,
        expected: 'a serial port no other bus uses',
        messageZh: `串口与 buses[${first}] 重复; 同一串口只能配置一条总线`,
      }),
    );
  }
}

function checkTcpEndpoints(buses: ReadonlyArray<Loose | undefined>, out: ConfigProblem[]): void {
  const owners = new Map<string, number>();
  for (const [i, bus] of buses.entries()) {
    const host = str(bus?.host);
    if (str(bus?.type) !== 'tcp' || host === undefined) continue;
    const endpoint = `${host}:${int(bus?.port) ?? 502}`;
    const first = owners.get(endpoint);
    if (first === undefined) {
      owners.set(endpoint, i);
      continue;
    }
    out.push(
      makeProblem(['buses', i, 'host'], {
        severity: 'warning',
        value: renderValue(endpoint),
        message: `buses[${first}] already connects to ${endpoint}; many gateways accept only one connection, so put these sensors on buses[${first}]`,
      }),
    );
  }
}
