// The push client end to end on loopback: the real hub (hub/http on its SQLite store), a real box database filled by
// the real ReadingsWriter and AlarmStore, enrolled through the real enrolment code, and the sync module pushing.
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { newRecordingRow } from '../../broadcast/recording/recording-types.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { SqliteRecordingStore } from '../../node-daemon/recording/recording-store.js';
import { LANES } from '../../node-daemon/sync/outbox/lanes.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { DAY, T0, writeWeek } from './outbox-fixture.js';
import { BOX_ID, boxFor, boxStats, drained, hubStats, startHub, type BoxRig, type HubRig } from './push-rig.js';

const hubs: HubRig[] = [];
const boxes: BoxRig[] = [];
afterEach(async () => {
  for (const b of boxes.splice(0)) await b.cleanup();
  for (const h of hubs.splice(0)) await h.cleanup();
});

async function rig(opts: Parameters<typeof boxFor>[1] = {}, hubOpts: Parameters<typeof startHub>[0] = {}): Promise<{ hub: HubRig; box: BoxRig }> {
  const hub = await startHub(hubOpts);
  hubs.push(hub);
  const box = await boxFor(hub, opts);
  boxes.push(box);
  return { hub, box };
}

/** A flood raised on the box now, through the alarm service that tells alarm$ (as the daemon does). */
function raiseNow(box: BoxRig, key = 'flood:bridge'): number {
  const alarms = new EmittingAlarmService({ store: new AlarmStore(box.box.db), hub: box.events, clock: Date.now });
  alarms.raise({ key, kind: 'flood', level: 'evacuate', siteId: 'bridge', sensorId: 'river', drill: false, title: '大桥 立即转移', cause: { rule: 'level-evacuate', sensorId: 'river', value: 7.2 } });
  const row = box.box.db.prepare<[], { seq: number }>("SELECT max(seq) AS seq FROM change_log WHERE kind = 'alarm'").get();
  return row?.seq ?? 0;
}

async function expectSameRecords(hub: HubRig, box: BoxRig): Promise<void> {
  expect(await hubStats(hub)).toEqual(boxStats(box.box.db));
}

describe('push to the real hub', () => {
  it('a week of backlog: alarms first, an alarm raised meanwhile overtakes the readings, and the hub ends up with every record', async () => {
    const { hub, box } = await rig(
      { fill: (db) => writeWeek(db), sync: { maxBatchBytes: 16_384 }, module: { readingsForm: { behindRecords: 20 } } },
    );
    // A slow county link: each request takes 40 ms more at the hub.
    hub.delayBefore = () => 40;
    const m = box.module;
    await m.start();
    await waitUntil(async () => (await hub.store.arrivals(BOX_ID, 'aggregates')).length > 3 || (await hub.store.arrivals(BOX_ID, 'readings')).length > 3, 20_000, 'readings arriving');
    const raisedAt = Date.now();
    const alarmSeq = raiseNow(box);
    await waitUntil(() => drained(m), 60_000, () => `the backlog drained: ${JSON.stringify(m.outbox.backlog())}`);
    await m.stop();

    const arrivals = await hub.store.arrivals(BOX_ID);
    const firstReadings = arrivals.find((a) => a.kind === 'readings' || a.kind === 'aggregates');
    const lastReadingsLane = arrivals.filter((a) => a.lane === 'readings').at(-1);
    const weekAlarms = arrivals.filter((a) => a.kind === 'alarm' && a.seq !== alarmSeq);
    expect(weekAlarms).toHaveLength(7);
    for (const a of weekAlarms) expect(a.arrival).toBeLessThan(firstReadings!.arrival);
    const raised = arrivals.find((a) => a.seq === alarmSeq && a.kind === 'alarm');
    expect(raised).toBeDefined();
    expect(raised!.arrival).toBeLessThan(lastReadingsLane!.arrival);
    expect(raised!.receivedAt - raisedAt).toBeLessThan(1_000);

    // Old batches went as aggregates first while the lane was behind, and their raw followed on the bulk lane.
    expect((await hub.store.arrivals(BOX_ID, 'aggregates')).length).toBeGreaterThan(0);
    expect(arrivals.some((a) => a.lane === 'bulk')).toBe(true);
    await expectSameRecords(hub, box);
    expect(box.logs.events('sync.push.ok').length).toBeGreaterThan(5);
    expect(m.status().state).toBe('up');
    for (const lane of LANES) expect(m.status().backlog[lane].records).toBe(0);
  }, 90_000);

  it('the hub down for a while: the box backs off, then catches up with no gap and no duplicate', async () => {
    const { hub, box } = await rig({ fill: (db) => writeWeek(db, 2), sync: { maxBatchBytes: 16_384, maxBackoffMs: 2_000 } });
    hub.delayBefore = () => 30;
    const m = box.module;
    await m.start();
    await waitUntil(async () => (await hub.store.arrivals(BOX_ID, 'readings')).length > 5, 20_000, 'readings arriving');
    await hub.stop();
    // The box goes on logging while the hub is away.
    await writeWeek(box.box.db, 1, T0 + 2 * DAY);
    await waitUntil(() => box.logs.events('sync.push.failed').length >= 4, 20_000, 'failed tries');
    const away = m.status();
    expect(['backoff', 'down']).toContain(away.state);
    expect(away.lastError?.message).toMatch(/refused|reset/);
    const failed = box.logs.events('sync.push.failed');
    // Backing off: the tries spread out (full jitter under a growing ceiling), never back to back.
    const span = Date.parse(String(failed.at(-1)!['time'])) - Date.parse(String(failed[0]!['time']));
    expect(span).toBeGreaterThan(0);
    expect(failed.map((f) => f['failures'])).toEqual(failed.map((_, i) => (failed[0]!['failures'] as number) + i));
    await waitUntil(() => m.status().state === 'down', 20_000, 'the link down');

    await hub.start();
    await waitUntil(() => drained(m), 60_000, () => `caught up: ${JSON.stringify(m.outbox.backlog())}`);
    await m.stop();
    await expectSameRecords(hub, box);
    // No duplicate: each (seq, kind) arrived once.
    const arrivals = await hub.store.arrivals(BOX_ID);
    expect(new Set(arrivals.map((a) => `${a.seq}:${a.kind}`)).size).toBe(arrivals.length);
    const states = box.logs.events('sync.state').map((l) => l['state']);
    expect(states[0]).toBe('up');
    expect(states).toContain('down');
    expect(states.at(-1)).toBe('up');
  }, 90_000);

  it('a budget smaller than the backlog: readings stop at the budget, alarms still go, and the bytes counted stay within the budget and one request', async () => {
    const dailyBytes = 12_000;
    const { hub, box } = await rig({ fill: (db) => writeWeek(db), sync: { maxBatchBytes: 16_384, budget: { dailyBytes } } });
    const m = box.module;
    await m.start();
    await waitUntil(() => m.status().state === 'over_budget', 20_000, 'over budget');
    const cursor = m.outbox.cursor('readings');
    await new Promise((r) => setTimeout(r, 500));
    expect(m.outbox.cursor('readings')).toBe(cursor);
    expect(m.outbox.backlog().readings.records).toBeGreaterThan(0);
    const ok = box.logs.events('sync.push.ok');
    const used = m.outbox.budget()!.dayBytes;
    // Every byte counted is one the exchanges moved (request and answer, headers included) …
    expect(used).toBe(ok.reduce((n, l) => n + (l['bytes'] as number), 0));
    // … and the last request, the one that crossed the budget, is the only one over it.
    const largest = Math.max(...ok.map((l) => l['bytes'] as number));
    expect(used).toBeGreaterThanOrEqual(dailyBytes);
    expect(used).toBeLessThanOrEqual(dailyBytes + largest);
    expect(used - (ok.at(-1)!['bytes'] as number)).toBeLessThan(dailyBytes);

    const alarmSeq = raiseNow(box);
    await waitUntil(async () => (await hub.store.arrivals(BOX_ID, 'alarm')).some((a) => a.seq === alarmSeq), 5_000, 'the alarm at the hub');
    // The hub stores before it answers: the box logs the push once the signed answer is back and checked.
    await waitUntil(async () => (box.logs.events('sync.push.ok').length > ok.length ? true : undefined), 5_000, 'the box to log the alarm push');
    const after = box.logs.events('sync.push.ok').slice(ok.length);
    expect(after).toHaveLength(1);
    expect(after[0]!['lanes']).toEqual({ alarm: 1 });
    expect(m.outbox.cursor('readings')).toBe(cursor);
    expect(m.status().budget).toMatchObject({ dayBytes: used + (after[0]!['bytes'] as number), dailyBytes });
    await m.stop();
  }, 60_000);

  it('a 409 (the hub restored from a backup older than the box\'s cursors): the box rewinds and sends everything again', async () => {
    const { hub, box } = await rig({ fill: (db) => writeWeek(db, 2), sync: { maxBatchBytes: 32_768 } });
    const old = join(hub.dir, 'hub-before.db');
    await hub.backup(old);
    const m = box.module;
    await m.start();
    await waitUntil(() => drained(m), 30_000, 'first sync');
    const cursors = m.outbox.cursors();
    expect(cursors.readings.ackedSeq).toBeGreaterThan(0);

    // The county restores the hub from the backup made before the box's first push.
    await hub.swapStore(join(hub.dir, 'hub-restored.db'), old);
    await hub.start();
    await writeWeek(box.box.db, 1, T0 + 2 * DAY);
    await waitUntil(() => box.logs.events('sync.push.conflict').length > 0, 20_000, 'a 409');
    await waitUntil(() => drained(m), 30_000, 'the resend');
    await m.stop();
    expect(hub.seen.some((r) => r.status === 409)).toBe(true);
    const conflict = box.logs.events('sync.push.conflict')[0]!;
    expect((conflict['rewound'] as { lane: string; seq: number }[]).map((r) => r.lane).sort()).toEqual(['alarm', 'health', 'readings']);
    await expectSameRecords(hub, box);
  }, 60_000);

  it('a request whose answer is lost (timeout after the hub stored it) goes again byte for byte, and nothing is lost or doubled', async () => {
    const { hub, box } = await rig({ fill: (db) => writeWeek(db, 2), sync: { maxBatchBytes: 16_384, requestTimeoutMs: 1_000 } });
    hub.delayAfter = (n) => (n === 2 ? 1_600 : 0);
    const m = box.module;
    await m.start();
    await waitUntil(() => drained(m), 30_000, 'drained');
    await m.stop();
    const timedOut = box.logs.events('sync.push.failed');
    expect(timedOut).toHaveLength(1);
    expect(timedOut[0]).toMatchObject({ outcome: 'network', failure: 'timeout', batch: 2 });
    // The resend is the same body (same Content-Digest), signed afresh (a new nonce and created).
    expect(hub.seen[2]!.digest).toBe(hub.seen[1]!.digest);
    expect(hub.seen[2]!.signatureInput).not.toBe(hub.seen[1]!.signatureInput);
    const resent = box.logs.events('sync.push.ok').find((l) => l['resent'] === true);
    expect(resent?.['batch']).toBe(2);
    await expectSameRecords(hub, box);
  }, 60_000);

  it('a box clock two hours behind: the hub refuses the time once, the box learns the offset from the signed refusal and goes on', async () => {
    const behind = 2 * 3_600_000;
    const { hub, box } = await rig({ fill: (db) => writeWeek(db, 1), module: { clock: () => Date.now() - behind } });
    const m = box.module;
    await m.start();
    await waitUntil(() => drained(m), 30_000, 'drained');
    await m.stop();
    expect(hub.seen[0]!.status).toBe(401);
    expect(hub.seen.slice(1).every((r) => r.status === 200)).toBe(true);
    expect(box.logs.events('sync.clock_refused')).toHaveLength(1);
    expect(box.logs.events('sync.clock_refused')[0]!['code']).toBe('too_old');
    expect(box.logs.events('sync.push.failed')).toHaveLength(0);
    expect(Math.abs(m.status().offsetMs - behind)).toBeLessThan(2_000);
    await expectSameRecords(hub, box);
  }, 60_000);

  it('413 from the hub halves the batch target until the requests fit', async () => {
    const { hub, box } = await rig({ fill: (db) => writeWeek(db, 2) }, { limits: { maxBodyBytes: 3_000 } });
    const m = box.module;
    await m.start();
    await waitUntil(() => drained(m), 30_000, 'drained');
    await m.stop();
    expect(hub.seen.some((r) => r.status === 413)).toBe(true);
    const tooLarge = box.logs.events('sync.push.too_large');
    expect(tooLarge.length).toBeGreaterThan(0);
    for (const l of tooLarge) expect(l['target']).toBeLessThanOrEqual(Math.max(4_096, Math.floor((l['from'] as number) / 2)));
    // The target never grows back to a size the hub refused.
    const refused = Math.min(...tooLarge.map((l) => l['bodyBytes'] as number));
    const last = tooLarge.at(-1)!['batch'] as number;
    for (const l of box.logs.events('sync.push.ok').filter((o) => (o['batch'] as number) > last)) expect(l['bodyBytes']).toBeLessThan(refused);
    expect(box.logs.events('sync.push.failed')).toHaveLength(0);
    await expectSameRecords(hub, box);
  }, 60_000);

  it('sync.maxRateKbit paces the bodies', async () => {
    const kbit = 64;
    const { box } = await rig({ fill: (db) => writeWeek(db, 1), sync: { maxRateKbit: kbit, maxBatchBytes: 8_192 } });
    const m = box.module;
    const started = Date.now();
    await m.start();
    await waitUntil(() => drained(m), 60_000, 'drained');
    const elapsed = Date.now() - started;
    await m.stop();
    const ok = box.logs.events('sync.push.ok');
    expect(ok.length).toBeGreaterThan(2);
    // Each request body leaves in slices of a tenth of a second at the cap (800 bytes at 64 kbit/s), each slice
    // no sooner than the bytes before it would take at the cap: a request takes at least all but its last slice.
    const paced = ok.reduce((ms, l) => ms + (Math.max(0, (l['requestBytes'] as number) - 800) * 8) / kbit, 0);
    expect(elapsed).toBeGreaterThan(paced);
  }, 90_000);

  it('a recording finished on the box is listed at the hub (GET /api/v1/boxes/{id}/recordings)', async () => {
    const { hub, box } = await rig({ fill: (db) => writeWeek(db, 1) });
    // The recordings store as the recorder drives it (broadcast/recording/recorder.ts): started, progress, finished.
    const recordings = new SqliteRecordingStore(box.box.db, { channelName: () => 'CCTV-17 农业农村' });
    const now = Date.now();
    const id = `now-cctv17-${now}`;
    recordings.insert(newRecordingRow({ id, channelId: 'cctv17', title: '致富经', origin: 'now', startAt: now - 600_000, endAt: now }, now - 600_000));
    recordings.update(id, { actualStart: now - 599_000, bytes: 5_000_000, segments: 1, updatedAt: now - 500_000 });
    recordings.update(id, { actualEnd: now, state: 'finishing', bytes: 60_000_000, segments: 10, updatedAt: now });
    recordings.update(id, { state: 'finished', durationS: 599.4, browserPath: '/x/browser.mp4', browserBytes: 1, updatedAt: now });
    const m = box.module;
    await m.start();
    await waitUntil(() => drained(m), 30_000, 'drained');
    await m.stop();
    await expectSameRecords(hub, box);
    const res = await fetch(`${hub.url}/api/v1/boxes/${BOX_ID}/recordings`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { recordings: Record<string, unknown>[] };
    expect(body.recordings).toEqual([
      expect.objectContaining({ id, channelName: 'CCTV-17 农业农村', state: 'finished', durationS: 599.4, bytes: 60_000_000, segments: 10, pinned: false }),
    ]);
    // It went in the health lane, before the readings backlog.
    const arrivals = await hub.store.arrivals(BOX_ID);
    const rec = arrivals.filter((a) => a.kind === 'recording');
    expect(rec.map((a) => a.lane)).toEqual(['health', 'health']);
    const firstReadings = arrivals.find((a) => a.kind === 'readings' || a.kind === 'aggregates');
    if (firstReadings !== undefined) for (const a of rec) expect(a.arrival).toBeLessThan(firstReadings.arrival);
  }, 60_000);

  it('a change-log writer other than readings and alarms (a recording pinned) wakes the push loop through changed$', async () => {
    const changed$ = new Subject<void>();
    // An idle poll of a minute: without the wake the pin would wait for it.
    const { hub, box } = await rig({ module: { idlePollMs: 60_000 } });
    box.rebuild({ hub: { ...box.events, changed$ }, idlePollMs: 60_000 });
    const recordings = new SqliteRecordingStore(box.box.db, { channelName: () => 'CCTV-17 农业农村' });
    const now = Date.now();
    const id = `now-cctv17-${now}`;
    recordings.insert({
      ...newRecordingRow({ id, channelId: 'cctv17', title: '致富经', origin: 'now', startAt: now - 600_000, endAt: now }, now),
      actualStart: now - 600_000, actualEnd: now, state: 'finished', bytes: 1, segments: 1, durationS: 600,
    });
    const m = box.module;
    await m.start();
    await waitUntil(() => drained(m), 30_000, 'drained');
    recordings.update(id, { pinned: true, updatedAt: Date.now() });
    const pinnedAt = Date.now();
    changed$.next();
    await waitUntil(async () => {
      const body = (await (await fetch(`${hub.url}/api/v1/boxes/${BOX_ID}/recordings`)).json()) as { recordings: { pinned: boolean }[] };
      return body.recordings[0]?.pinned === true;
    }, 10_000, 'the pin at the hub');
    expect(Date.now() - pinnedAt).toBeLessThan(10_000);
    await m.stop();
  }, 60_000);
});
