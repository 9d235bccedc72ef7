import { SIREN_CATALOGUE } from '../../drivers/audio/siren-pattern.js';
import { ALARM_LEVELS } from '../alarms/types.js';
import { unknownPlaceholders } from '../dispatch/render.js';
import { formatPath, makeProblem, renderValue, type ConfigProblem, type PathSegment } from './problem.js';
import type { Config } from './schema.js';
import { didYouMean } from './suggest.js';

/**
 * References between the alarm rules, the dispatch plans and the outputs, on a config the schema accepted:
 * a rule naming an unknown sensor, a relay pin used twice, a plan naming a relay the board does not have, an
 * unknown siren pattern or template placeholder, two outputs on one serial port.
 */
export function checkAlarmsAndOutputs(config: Config, written: unknown = undefined): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const sensorIds = config.sensors.map((s) => s.id);
  const io = config.outputs.ioBoard;
  const relayNames = Object.keys(io?.relays ?? {});
  const inputs = io?.inputs ?? {};

  for (const [i, site] of config.alarms.sites.entries()) {
    for (const [j, sensorId] of site.sensors.entries()) {
      if (!sensorIds.includes(sensorId)) out.push(unknown(['alarms', 'sites', i, 'sensors', j], sensorId, sensorIds, 'sensor (sensors[].id)', '传感器'));
    }
    const gauge = site.rainfall?.gauge;
    if (gauge?.input === 'tips') {
      const input = inputs[gauge.id];
      if (input === undefined || input.role !== 'rain_gauge') {
        const gauges = Object.entries(inputs).filter(([, v]) => v.role === 'rain_gauge').map(([k]) => k);
        out.push(unknown(['alarms', 'sites', i, 'rainfall', 'gauge', 'id'], gauge.id, gauges, 'I/O board input with role rain_gauge (outputs.ioBoard.inputs)', '雨量计输入'));
      }
    }
  }

  if (io) {
    const pins = new Map<number, PathSegment[]>();
    const claim = (pin: number, at: PathSegment[]): void => {
      const first = pins.get(pin);
      if (first === undefined) {
        pins.set(pin, at);
        return;
      }
      out.push(
        makeProblem(at, {
          value: String(pin),
          message: `pin ${pin} is already used by ${formatPath(first)}; every relay and input needs its own pin`,
          expected: 'a pin no other relay or input uses',
          messageZh: `引脚 ${pin} 已被占用`,
        }),
      );
    };
    for (const [name, pin] of Object.entries(io.relays)) claim(pin, ['outputs', 'ioBoard', 'relays', name]);
    for (const [name, input] of Object.entries(io.inputs)) claim(input.pin, ['outputs', 'ioBoard', 'inputs', name, 'pin']);
  }

  for (const level of ALARM_LEVELS) {
    const plan = config.dispatch[level];
    const ownPlan = wroteRelays(written, level);
    for (const [j, relay] of plan.relays.entries()) {
      // With an I/O board every named relay must exist; the default plan's relays are named as such.
      if (!io || relayNames.includes(relay)) continue;
      out.push(ownPlan ? unknown(['dispatch', level, 'relays', j], relay, relayNames, 'relay (outputs.ioBoard.relays)', '继电器') : defaultRelayMissing(level, relay, relayNames));
    }
    if (!io && plan.relays.length > 0 && config.outputs.speakers.length + config.outputs.ledBoards.length > 0) {
      out.push(
        makeProblem(['dispatch', level, 'relays'], {
          severity: 'warning',
          value: renderValue(plan.relays.join(', ')),
          message: `there is no I/O board (outputs.ioBoard), so ${ownPlan ? 'the' : 'the default'} ${level} plan's relays (${plan.relays.join(', ')}) will not be switched: no siren or strobe, only the speakers and LED boards`,
          expected: 'outputs.ioBoard with these relays, or dispatch.' + level + '.relays: []',
          messageZh: `没有 I/O 板（outputs.ioBoard），${level} 预案中的继电器不会动作`,
        }),
      );
    }
    if (plan.sirenPattern !== undefined && !(plan.sirenPattern in SIREN_CATALOGUE)) {
      out.push(unknown(['dispatch', level, 'sirenPattern'], plan.sirenPattern, Object.keys(SIREN_CATALOGUE), 'siren pattern', '警报音'));
    }
    placeholders(plan.message, ['dispatch', level, 'message'], out);
    if (plan.manualMessage !== undefined) placeholders(plan.manualMessage, ['dispatch', level, 'manualMessage'], out);
    placeholders(plan.ledText, ['dispatch', level, 'ledText'], out);
  }
  const chime = config.dispatch.allClear.sirenPattern;
  if (chime !== undefined && !(chime in SIREN_CATALOGUE)) {
    out.push(unknown(['dispatch', 'allClear', 'sirenPattern'], chime, Object.keys(SIREN_CATALOGUE), 'siren pattern', '警报音'));
  }
  placeholders(config.dispatch.allClear.message, ['dispatch', 'allClear', 'message'], out);
  placeholders(config.dispatch.allClear.ledText, ['dispatch', 'allClear', 'ledText'], out);

  duplicateIds(config.outputs.speakers, ['outputs', 'speakers'], out);
  duplicateIds(config.outputs.ledBoards, ['outputs', 'ledBoards'], out);
  for (const [i, speaker] of config.outputs.speakers.entries()) {
    if (speaker.amplifierRelay !== undefined && !relayNames.includes(speaker.amplifierRelay)) {
      out.push(unknown(['outputs', 'speakers', i, 'amplifierRelay'], speaker.amplifierRelay, relayNames, 'relay (outputs.ioBoard.relays)', '继电器'));
    }
  }

  // Two buses on one port are reported by crossCheck; here an output sharing a port with a bus or another output.
  const ports = new Map<string, string>();
  const port = (path: string, at: PathSegment[]): void => {
    const first = ports.get(path);
    if (first === undefined) ports.set(path, formatPath(at));
    else out.push(makeProblem(at, { value: renderValue(path), message: `${path} is already used by ${first}; one serial port, one owner`, messageZh: '串口被重复使用' }));
  };
  for (const [i, bus] of config.buses.entries()) if (bus.type === 'rtu' && !ports.has(bus.path)) port(bus.path, ['buses', i, 'path']);
  if (io) port(io.path, ['outputs', 'ioBoard', 'path']);
  for (const [i, board] of config.outputs.ledBoards.entries()) port(board.path, ['outputs', 'ledBoards', i, 'path']);
  return out;
}

function unknown(at: readonly PathSegment[], name: string, known: readonly string[], noun: string, nounZh: string): ConfigProblem {
  const near = didYouMean(name, known);
  const expected = known.length > 0 ? `one of ${known.join(', ')}` : `a configured ${noun} (there are none)`;
  return makeProblem(at, {
    value: renderValue(name),
    message: `"${name}" is not a known ${noun}${near !== undefined ? `; did you mean "${near}"?` : `; expected ${expected}`}`,
    expected,
    messageZh: `找不到${nounZh} "${name}"`,
  });
}

function placeholders(template: string, at: readonly PathSegment[], out: ConfigProblem[]): void {
  const bad = unknownPlaceholders(template);
  if (bad.length === 0) return;
  out.push(
    makeProblem(at, {
      value: renderValue(template),
      message: `unknown placeholder ${bad.map((b) => `{${b}}`).join(', ')}; expected {site}, {level}, {time}, {value} or {sensor}`,
      expected: '{site}, {level}, {time}, {value}, {sensor}',
      messageZh: '模板中有未知的占位符',
    }),
  );
}

function duplicateIds(list: readonly { readonly id: string }[], at: readonly PathSegment[], out: ConfigProblem[]): void {
  const seen = new Set<string>();
  for (const [i, item] of list.entries()) {
    if (seen.has(item.id)) out.push(makeProblem([...at, i, 'id'], { value: renderValue(item.id), message: `"${item.id}" is used twice; ids must be unique`, messageZh: 'id 重复' }));
    seen.add(item.id);
  }
}

/** Whether the file itself wrote `dispatch.<level>.relays` (otherwise the schema's default plan is in force). */
function wroteRelays(written: unknown, level: string): boolean {
  const dispatch = isRecord(written) ? written['dispatch'] : undefined;
  const plan = isRecord(dispatch) ? dispatch[level] : undefined;
  return isRecord(plan) && 'relays' in plan;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function defaultRelayMissing(level: string, relay: string, known: readonly string[]): ConfigProblem {
  const have = known.length > 0 ? known.join(', ') : 'none';
  // Pointed at the board's relays: that is where the installer adds it (the plan is not in the file).
  return makeProblem(['outputs', 'ioBoard', 'relays'], {
    value: renderValue(relay),
    message: `the default ${level} plan switches relay "${relay}", which outputs.ioBoard.relays does not define (it has: ${have}); add it there, or write dispatch.${level}.relays with the relays this box has`,
    expected: `a relay of outputs.ioBoard.relays (${have})`,
    messageZh: `默认的 ${level} 预案要用继电器 "${relay}"，但 outputs.ioBoard.relays 中没有`,
  });
}
