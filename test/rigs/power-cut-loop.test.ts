// Fault rig (issue #14 item 4): power cut in a loop. A real daemon polls a pymodbus gauge whose level crosses the
// evacuate threshold and falls back, drives a simulated I/O board (relays) and a loudspeaker (a WAV file sink), and an
// operator announcement is queued through the API; the daemon is killed with SIGKILL five times at random points:
// while polling, while the announcement plays, while the alarm is being raised, with the alarm open and an
// announcement waiting behind it, and while the alarm is clearing. The I/O board loses power with the box each time.
//
// "Committed" is what the daemon said it committed or what a reader saw committed before the kill:
//  - every batch it logged `readings.stored` (logged after the fsynced commit, as test/daemon/power-cut.test.ts);
//  - every alarm transition a read-only connection saw in `alarm_transitions` just before the kill, and every
//    `alarm.rules.transition` line with `changed: true` (logged after the store's commit).
// After each kill: all of it is in the file, unchanged, and `PRAGMA integrity_check` is ok. After each restart: the
// board's relays are what the open flood alarm wants (default plans) within 5 s of `daemon.started`.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUALITY_CODE } from '../../node-daemon/storage/quality-codes.js';
import type { OutputsSnapshot } from '../../node-daemon/dispatch/outputs-snapshot.js';
import { getJson, health, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess, type StoredLine } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import {
  checkKept,
  committedTransitions,
  floodTransitions,
  HIGH_CM,
  loggedTransitions,
  LOW_CM,
  openAlarms,
  openFloodLevel,
  postJson,
  relaysFor,
  siteYaml,
  sleep,
  startGauge,
  startRelayBoard,
  type Gauge,
  type RelayBoard,
  type TransitionRow,
} from './fault-rig.js';

const RESTORE_MS = 5_000;
const random = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo));
const levelFor = (cm: number): 'evacuate' | null => (cm >= 150 ? 'evacuate' : null);

/** Stored readings are the gauge's two levels, or comm_fail while the gauge restarts with its new level. */
const plausible = (r: { value: number | null; quality: number }): boolean =>
  (r.quality === QUALITY_CODE.good && (r.value === LOW_CM / 100 || r.value === HIGH_CM / 100)) || (r.quality === QUALITY_CODE.comm_fail && r.value === null);

describe('power cut in a loop: kill -9 while polling, raising an alarm and playing an announcement', () => {
  let gauge: Gauge | undefined;
  let board: RelayBoard | undefined;
  let daemon: DaemonProcess | undefined;
  const dir = tempDir('fenghuo-rig-powercut-');

  beforeAll(async () => {
    await ensureDistBuilt();
    [gauge, board] = await Promise.all([startGauge(LOW_CM), startRelayBoard()]);
  }, 180_000);
  afterAll(async () => {
    if (daemon !== undefined && !daemon.exited()) await daemon.kill9();
    await Promise.all([gauge?.stop(), board?.close()]);
    dir.cleanup();
  });

  it('five kills: no committed reading or alarm transition lost, the file intact, relays restored within 5 s', async () => {
    if (gauge === undefined || board === undefined) throw new Error('rig not started');
    const g = gauge;
    const b = board;
    const dataDir = join(dir.dir, 'data');
    const config = writeConfig(dir.dir, siteYaml({ gaugePort: g.port, boardPath: b.path, speakerFile: join(dir.dir, 'speaker.wav') }));

    const allStored: StoredLine[] = [];
    const seen = new Map<number, TransitionRow>();
    const restoreMs: number[] = [];
    const kills: string[] = [];

    /** Starts the daemon and waits (at most 5 s after daemon.started) until the relays are what the open alarm wants. */
    const restart = async (run: number): Promise<DaemonProcess> => {
      const d = await startDaemon({ configFile: config, dataDir });
      daemon = d;
      const startedAt = Date.now();
      let last = '';
      await waitUntil(
        async () => {
          const level = openFloodLevel(openAlarms(dataDir));
          const want = relaysFor(level);
          const on = b.relaysOn();
          // The daemon's own view too: the board connected and every relay commanded as wanted, confirmed by read-back.
          const out = await getJson<OutputsSnapshot>(`${d.url}/api/v1/outputs`);
          const confirmed = out.ioBoard?.connection === 'connected' && out.relays.every((r) => r.on === want.includes(r.name) && r.confirmed);
          last = `gauge ${g.cm()} cm, open flood level ${level}, board relays [${on.join(',')}], want [${want.join(',')}], outputs ${JSON.stringify(out.relays)}`;
          return level === levelFor(g.cm()) && JSON.stringify(on) === JSON.stringify(want) && confirmed;
        },
        RESTORE_MS,
        () => `run ${run}: relays back to what the open alarm wants within ${RESTORE_MS} ms of daemon.started: ${last}\n${d.diagnostics()}`,
      );
      restoreMs.push(Date.now() - startedAt);
      return d;
    };

    /** Resolves once the daemon has polled the gauge's new level. */
    const firstReadingOf = (d: DaemonProcess, cm: number): Promise<unknown> =>
      waitUntil(async () => (await health(d)).sensors[0]?.lastReading?.value === cm / 100, 10_000, () => `a reading of ${cm} cm: ${d.diagnostics()}`);

    /** SIGKILL; the board goes down with the box; then every committed thing must still be there. */
    const powerCut = async (d: DaemonProcess, run: number, what: string): Promise<void> => {
      expect(d.exited(), `run ${run}: the daemon died on its own: ${d.diagnostics()}`).toBe(false);
      for (const t of committedTransitions(dataDir)) seen.set(t.id, t);
      await d.kill9();
      kills.push(what);
      expect(d.events('storage.corrupt'), `run ${run}: a previous kill left a corrupt file`).toEqual([]);
      allStored.push(...d.stored());
      const logged = loggedTransitions(d);
      const { problems, report } = checkKept(dataDir, allStored, [...seen.values()], plausible);
      const level = openFloodLevel(openAlarms(dataDir));
      const present = new Set(committedTransitions(dataDir).map((t) => t.alarm_id));
      for (const l of logged) if (!present.has(l.alarmId)) problems.push(`alarm ${l.alarmId} (logged ${l.type}) has no transition`);
      expect(problems.slice(0, 10), `run ${run} (${what}): ${problems.length} committed things lost or wrong`).toEqual([]);
      console.log(
        `[power-cut loop] kill ${run + 1} (${what}): kept ${report.readings} readings in ${report.batches} logged batches, ` +
          `${report.transitions} alarm transitions, integrity_check ${report.integrity}; open flood level in the file: ${level ?? 'none'}`,
      );
      await b.powerCycle();
    };

    // 1. Polling, level low.
    let d = await restart(0);
    await sleep(random(300, 1_500));
    await powerCut(d, 0, 'polling');

    // 2. An operator announcement plays; cut while it is on the air.
    d = await restart(1);
    const spoken = await postJson<{ key: string; speakers: string[] }>(`${d.url}/api/v1/broadcast/speak`, { text: '请注意，这是一条测试广播，请各户检查排水沟。' });
    expect(spoken.status, JSON.stringify(spoken.body)).toBe(202);
    await waitUntil(
      () => d.events('station.speaker_playing').some((l) => l['key'] === spoken.body.key),
      15_000,
      () => `the announcement to play: ${d.diagnostics()}`,
    );
    await sleep(random(0, 1_000));
    await powerCut(d, 1, 'announcement playing');

    // 3. The river rises past evacuate; cut while the alarm is being raised (between the first high reading and a
    //    little after the debounce's second sample).
    d = await restart(2);
    await g.setCm(HIGH_CM);
    await firstReadingOf(d, HIGH_CM);
    await sleep(random(0, 300)); // the debounce's second sample comes one poll (150 ms) after the first
    await powerCut(d, 2, 'alarm being raised');

    // 4. The alarm is open (restored within 5 s: checked by restart); an announcement waits behind it; cut.
    d = await restart(3);
    const sounding = d;
    await waitUntil(
      () => sounding.events('station.speaker_playing').some((l) => l['key'] === 'flood:town'),
      10_000,
      () => `the open alarm sounding again after the restart: ${sounding.diagnostics()}`,
    );
    const queued = await postJson<{ key: string }>(`${d.url}/api/v1/broadcast/speak`, { text: '水位上涨，请沿河群众立即转移。' });
    expect(queued.status).toBe(202);
    await sleep(random(300, 1_500));
    await powerCut(d, 3, 'alarm open, evacuation message playing, announcement queued');

    // 5. The river falls; cut while the alarm clears.
    d = await restart(4);
    await g.setCm(LOW_CM);
    await firstReadingOf(d, LOW_CM);
    await sleep(random(0, 400));
    await powerCut(d, 4, 'alarm clearing');

    // The last restart: relays off again (restart checks it), then a clean stop.
    d = await restart(5);
    await sleep(500);
    expect(await d.sigterm(), d.diagnostics()).toBe(0);
    allStored.push(...d.stored());
    for (const t of committedTransitions(dataDir)) seen.set(t.id, t);
    const final = checkKept(dataDir, allStored, [...seen.values()], plausible);
    expect(final.problems.slice(0, 10)).toEqual([]);

    // One flood alarm over the whole flood, however the kills fell: raised once, cleared once; ids and seq increase.
    const flood = floodTransitions(dataDir, 'flood:town');
    const floodAlarmIds = new Set(flood.map((t) => t.alarm_id));
    expect(floodAlarmIds.size, JSON.stringify(flood)).toBe(1);
    const types = flood.map((t) => t.type);
    expect(types.filter((t) => t === 'raised'), JSON.stringify(types)).toEqual(['raised']);
    expect(types[0], JSON.stringify(types)).toBe('raised');
    expect(types.at(-1), `the flood alarm cleared after the river fell: ${JSON.stringify(types)}`).toBe('cleared');
    for (let i = 1; i < allStored.length; i++) {
      expect(allStored[i]!.seq).toBeGreaterThan(allStored[i - 1]!.seq);
      expect(allStored[i]!.lastId - allStored[i]!.count + 1).toBeGreaterThan(allStored[i - 1]!.lastId);
    }
    console.log(
      `[power-cut loop] ${kills.length} kills; kept ${final.report.readings} readings (${final.report.batches} batches) and ` +
        `${final.report.transitions} alarm transitions; integrity_check ${final.report.integrity}; relays restored after ` +
        `${restoreMs.join(', ')} ms (limit ${RESTORE_MS})`,
    );
  }, 150_000);
});
