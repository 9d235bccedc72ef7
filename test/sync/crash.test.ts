// Issue 12, "Crashes": kill -9 the box, the hub, and PostgreSQL in the middle of a batch; after restart the hub holds
// exactly the box's records (count and digest per kind, the same reading ids; each (seq, kind) once). Real processes
// (crash-rig.ts): `fenghuo run`, `fenghuo hub` on PostgreSQL, a PostgreSQL cluster of our own; the box's requests go
// through the impairment proxy, which holds a request's body half delivered, so the kill lands while it is in flight
// (asserted from the proxy's counters: the box had written more of the request than the hub had been given, and the
// hub had not answered). Needs Debian's PostgreSQL; without it every case says what it skipped.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { pgSource } from '../hub/pg-source.js';
import { boxView, crashRig, holdNextRequest, hubView, readingsPushes, type CrashRig, type InFlight, type Pg } from './crash-rig.js';
import { waitFor } from '../../bench/support/fenghuo-process.js';

const src = await pgSource();
const skipNote = src.ok ? '' : ` [skipped: ${src.reason}]`;
if (!src.ok) console.warn(`SKIPPED test/sync/crash.test.ts (kill -9 of box, hub and PostgreSQL mid-batch): ${src.reason}`);
const pg = src.ok ? (src as Pg) : undefined;

const DAYS = 7;
/** Bytes of a request let through before the rest is held: past its head (under a kilobyte), inside its body. */
const HOLD_AFTER = 1_500;

beforeAll(async () => {
  if (src.ok) await ensureDistBuilt();
}, 300_000);
afterAll(async () => {
  if (src.ok) await src.close();
});

const rigs: CrashRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.cleanup();
}, 60_000);

async function setUp(boxId: string): Promise<CrashRig> {
  const rig = await crashRig(pg!, { boxId, days: DAYS });
  rigs.push(rig);
  return rig;
}

/** The box pushing its backlog: resolves once two readings requests went through. */
async function pushing(rig: CrashRig): Promise<void> {
  const box = await rig.startBox();
  await waitFor(() => readingsPushes(box) >= 2, 30_000, () => `two readings pushes: ${box.diagnostics()}\nhub: ${rig.hub?.diagnostics()}`);
}

function expectInFlight(held: InFlight): void {
  // A request on a connection of its own: the hub had been given its first HOLD_AFTER bytes (the head and the start of
  // the body), the box had written it whole, and no answer came while it was held.
  expect(held.forwarded).toBe(HOLD_AFTER);
  expect(held.received).toBeGreaterThan(HOLD_AFTER + 500);
  expect(held.answeredWhileHeld).toBe(0);
  expect(held.resets).toBeGreaterThan(0);
}

/** Both stopped cleanly, then: the hub holds exactly the box's records, each once. */
async function expectSameEndState(rig: CrashRig): Promise<void> {
  expect(await rig.box!.stop()).toBe(0);
  expect(await rig.hub!.stop()).toBe(0);
  const want = boxView(rig);
  const hub = await hubView(rig);
  expect(hub.stats).toEqual(want);
  expect(want.readings.count).toBe(rig.week.readings);
  expect(new Set(hub.arrivals.map((a) => `${a.seq}:${a.kind}`)).size).toBe(hub.arrivals.length);
}

const describeIf = describe.skipIf(!src.ok);

describeIf(`kill -9 mid-batch, restart: the hub ends with exactly the box's records${skipNote}`, () => {
  it('the box killed while a request body is in flight, then restarted', async () => {
    const rig = await setUp('qingshui-crash-box');
    await pushing(rig);
    const first = rig.box!;
    const held = await holdNextRequest(rig, HOLD_AFTER, 5_000);
    const okAtKill = first.events('sync.push.ok').length;
    await first.kill9();
    expectInFlight(held);
    expect(first.child.signalCode).toBe('SIGKILL');
    console.log(`[crash box] held connection ${held.connection.id}: hub given ${held.forwarded} B, box wrote ${held.received} B; box killed after ${okAtKill} pushes`);

    const second = await rig.startBox();
    await rig.drained(60_000);
    // The restarted box went on from its persisted cursors and finished the backlog.
    expect(second.events('sync.push.ok').length).toBeGreaterThan(0);
    await expectSameEndState(rig);
  }, 180_000);

  it('the hub (on PostgreSQL) killed while a request body is in flight, then restarted', async () => {
    const rig = await setUp('qingshui-crash-hub');
    await pushing(rig);
    const box = rig.box!;
    const held = await holdNextRequest(rig, HOLD_AFTER, 5_000);
    const hub = rig.hub!;
    await hub.kill9();
    expectInFlight(held);
    expect(hub.child.signalCode).toBe('SIGKILL');
    // The box sees the connection die and retries while the hub is away …
    const failedBefore = box.events('sync.push.failed').length;
    await waitFor(() => box.events('sync.push.failed').length >= failedBefore + 2, 30_000, () => `failed tries: ${box.diagnostics()}`);
    console.log(`[crash hub] held connection ${held.connection.id} (${held.connection.end ?? 'open'}): hub given ${held.forwarded} B, box wrote ${held.received} B; ${box.events('sync.push.failed').length} failed tries`);
    // … and catches up once a new hub process runs on the same database.
    await rig.startHub();
    await rig.drained(90_000);
    expect(box.child.exitCode).toBeNull();
    await expectSameEndState(rig);
  }, 180_000);

  it('PostgreSQL killed while a request body is in flight: the hub answers errors, the box retries, and after the restart the same end state', async () => {
    const rig = await setUp('qingshui-crash-pg');
    await pushing(rig);
    const box = rig.box!;
    // Held for 2 s: PostgreSQL dies meanwhile, and the hub then gets the whole request with no database behind it.
    const held = await holdNextRequest(rig, HOLD_AFTER, 2_000);
    await pg!.kill9();
    expectInFlight(held);
    const failedBefore = box.events('sync.push.failed').length;
    await waitFor(() => box.events('sync.push.failed').length >= failedBefore + 2, 30_000, () => `failed tries: ${box.diagnostics()}\nhub: ${rig.hub!.diagnostics()}`);
    const failed = box.events('sync.push.failed').slice(failedBefore);
    console.log(
      `[crash postgres] held connection ${held.connection.id}: hub given ${held.forwarded} B, box wrote ${held.received} B; ` +
        `failures while PostgreSQL was down: ${JSON.stringify(failed.map((f) => ({ outcome: f['outcome'], status: f['status'], code: f['code'] })))}`,
    );
    // The hub process survived its database's crash and said so — 503 "busy", so the box waits and resends the same
    // batch instead of halving it as after a fault — not by dying.
    expect(rig.hub!.child.exitCode).toBeNull();
    expect(failed.some((f) => Number(f['status']) === 503)).toBe(true);
    await pg!.restart();
    await rig.drained(90_000);
    await expectSameEndState(rig);
  }, 180_000);
});
