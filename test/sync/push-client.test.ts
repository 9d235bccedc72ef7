// The push client against answers the real hub does not give: a transport stand-in on a real box database. An
// answer signed by another key is never believed (and the request goes again unchanged), a 200 that acknowledges
// nothing backs off rather than spinning, and an alarm committed during a long backoff is tried at once, once.
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { syncSchema } from '../../node-daemon/config/schema.js';
import { signResponse, SigningKey } from '../../node-daemon/sync/protocol/index.js';
import type { Transport, WireRequest, WireResult } from '../../node-daemon/sync/push/transport.js';
import type { SyncModule } from '../../node-daemon/sync/sync-module.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { tempBox, writeWeek, type TempBox } from './outbox-fixture.js';
import { syncModuleMaker } from './push-rig.js';

const county = SigningKey.generate('county-1');
const boxKey = SigningKey.generate('qingshui-01');

type Answer = (req: WireRequest, n: number) => WireResult;

class StandIn implements Transport {
  readonly calls: { at: number; body: Buffer; headers: Record<string, string> }[] = [];
  constructor(public answer: Answer) {}
  async send(req: WireRequest): Promise<WireResult> {
    this.calls.push({ at: Date.now(), body: Buffer.from(req.body ?? new Uint8Array(0)), headers: { ...req.headers } });
    return this.answer(req, this.calls.length);
  }
  close(): void {}
}

/** An answer signed by `key` and bound to the request, as the hub's sign-responses middleware makes one. */
function signed(req: WireRequest, status: number, json: unknown, key = county): WireResult {
  const body = new TextEncoder().encode(JSON.stringify(json));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(body.byteLength) };
  const s = signResponse({ status, headers, body }, { method: 'POST', url: req.url, headers: req.headers }, { key, now: Date.now });
  return { ok: true, status, statusMessage: '', headers: { ...headers, ...s.headers }, body, sentBytes: (req.body?.byteLength ?? 0) + 500, receivedBytes: body.byteLength + 300 };
}

const refused = (): WireResult => ({ ok: false, failure: 'refused', message: 'connection refused', sentBytes: 0, receivedBytes: 0, reached: false });

const boxes: TempBox[] = [];
const modules: SyncModule[] = [];
afterEach(async () => {
  for (const m of modules.splice(0)) await m.stop();
  for (const b of boxes.splice(0)) b.cleanup();
});

async function setup(answer: Answer, opts: { minBackoffMs?: number; maxBackoffMs?: number; random?: () => number } = {}) {
  const box = tempBox();
  boxes.push(box);
  await writeWeek(box.db, 1);
  const transport = new StandIn(answer);
  const enrolment = { record: { hub: 'http://hub.test:8470', boxId: 'qingshui-01', countyKeyId: county.keyid, enrolledAt: 1 }, boxKey, countyKey: county.publicKey };
  const { logs, events, make } = syncModuleMaker(box.db, enrolment, {
    config: syncSchema.parse({ maxBackoffMs: opts.maxBackoffMs ?? 2_000 }),
    timeZone: 'UTC',
    snapshot: () => ({ status: 'ok' }),
    transport,
    minBackoffMs: opts.minBackoffMs ?? 50,
    idlePollMs: 50,
    ...(opts.random === undefined ? {} : { random: opts.random }),
  });
  const module = make();
  modules.push(module);
  return { box, transport, logs, events, module };
}

describe('the push client and a hub that misbehaves', () => {
  it('an answer signed by another key is not believed, and the request goes again unchanged', async () => {
    const impostor = SigningKey.generate(county.keyid);
    const { transport, logs, module } = await setup((req, n) => (n === 1 ? signed(req, 200, { acked: { alarm: 999, health: 999, readings: 999 }, hubTime: Date.now() }, impostor) : signed(req, 200, { acked: {}, hubTime: Date.now() })));
    await module.start();
    await waitUntil(() => transport.calls.length >= 2, 5_000, 'a second try');
    await module.stop();
    expect(module.outbox.cursors().readings.ackedSeq).toBe(0);
    expect(logs.events('sync.push.failed')[0]).toMatchObject({ outcome: 'unverified', batch: 1 });
    expect(transport.calls[1]!.body.equals(transport.calls[0]!.body)).toBe(true);
    expect(transport.calls[1]!.headers['content-digest']).toBe(transport.calls[0]!.headers['content-digest']);
    expect(transport.calls[1]!.headers['signature-input']).not.toBe(transport.calls[0]!.headers['signature-input']);
    // The clock offset is never learned from an answer that did not verify.
    expect(module.status().offsetMs).not.toBeGreaterThan(5_000);
  });

  it('a 200 that acknowledges nothing counts as a failure and backs off instead of spinning', async () => {
    const { transport, logs, module } = await setup((req) => signed(req, 200, { acked: {}, hubTime: Date.now() }), { minBackoffMs: 200 });
    await module.start();
    await new Promise((r) => setTimeout(r, 800));
    await module.stop();
    expect(transport.calls.length).toBeLessThan(8);
    expect(logs.events('sync.push.failed')[0]).toMatchObject({ outcome: 'bad_answer' });
    expect(module.status().state).not.toBe('up');
  });

  it('an alarm committed during a long backoff is tried at once, once per outage', async () => {
    // Jitter at the top of the ceiling: delays of about 1, 2, 4, 8 s.
    const { box, transport, logs, events, module } = await setup(() => refused(), { minBackoffMs: 1_000, maxBackoffMs: 60_000, random: () => 0.999 });
    await module.start();
    await waitUntil(() => transport.calls.length >= 3, 10_000, 'three failed tries');
    // Now backing off for about 4 s.
    const before = transport.calls.length;
    const alarms = new EmittingAlarmService({ store: new AlarmStore(box.db), hub: events, clock: Date.now });
    const raisedAt = Date.now();
    alarms.raise({ key: 'flood:bridge', kind: 'flood', level: 'evacuate', siteId: 'bridge', drill: false, title: '大桥 立即转移', cause: { rule: 'manual' } });
    await waitUntil(() => transport.calls.length > before, 2_000, 'a try soon after the alarm');
    expect(transport.calls[before]!.at - raisedAt).toBeLessThan(1_100);
    expect(logs.events('sync.backoff_reset')).toHaveLength(1);
    // A second alarm in the same outage does not reset again.
    const n = transport.calls.length;
    alarms.raise({ key: 'flood:dam', kind: 'flood', level: 'prepare', siteId: 'dam', drill: false, title: '水库 准备转移', cause: { rule: 'manual' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(logs.events('sync.backoff_reset')).toHaveLength(1);
    expect(transport.calls.length).toBe(n);
    expect(module.status().state).toBe('down');
    expect(module.status().nextAttemptAt).toBeGreaterThan(Date.now());
  }, 20_000);
});
