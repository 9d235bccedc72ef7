// A settings change reaches the county: the settings store writes a change-log `audit` row in the transaction of its
// settings_audit row, and the outbox's health lane (and the pull feed) carry it as docs/sync.md says.
import { afterEach, describe, expect, it } from 'vitest';
import { ingestBodySchema } from '../../hub/http/ingest-schema.js';
import { configSchema, type Config } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import { createApp } from '../../node-daemon/http/app.js';
import { SettingsService } from '../../node-daemon/settings/settings-service.js';
import { SettingsStore } from '../../node-daemon/settings/settings-store.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import { tempBox } from './outbox-fixture.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function fileConfig(): Config {
  return configSchema.parse({
    buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1' }],
    sensors: [{ id: 'river', bus: 'site', slave: 1, profile: 'submersible-level' }],
    alarms: { sites: [{ id: 'qingshui', sensors: ['river'], prepare: { levelM: 5 }, evacuate: { levelM: 8 } }] },
  });
}

function auditRows(box: ReturnType<typeof tempBox>): { seq: number; ts: number; payload: string }[] {
  return box.db.prepare<[], { seq: number; ts: number; payload: string }>("SELECT seq, ts, payload FROM change_log WHERE kind = 'audit' ORDER BY seq").all();
}

describe('audit records', () => {
  it('a PUT of a settings section writes one audit change-log row, and the health lane sends it', async () => {
    const box = tempBox();
    cleanups.push(() => box.cleanup());
    const config = fileConfig();
    const hub = new EventHub();
    const health = new StatusRegistry({ config, hub, busCounters: new Map(), storageStatus: () => ({ pendingWrites: 0 }), dataDir: box.dir });
    cleanups.push(() => void health.stop());
    const settings = new SettingsService({ db: box.db, fileConfig: config, log: silentLogger() });
    const app = createApp({ sensors: config.sensors, health, readings: new SqliteReadingsReader(box.db), log: silentLogger(), settings });

    const sites = [{ id: 'qingshui', sensors: ['river'], prepare: { levelM: 4.5 }, evacuate: { levelM: 8 } }];
    const res = await app.request('/api/v1/settings/alarms?by=%E7%8E%8B%E5%B7%A5', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sites }),
    });
    expect(res.status).toBe(200);

    const rows = auditRows(box);
    expect(rows).toHaveLength(1);
    const entry = settings.audit({ limit: 1 })[0]!;
    const payload = JSON.parse(rows[0]!.payload) as Record<string, unknown>;
    // The settings_audit row as it is, minus its local id and ts (the record's own ts); no account without sign-in.
    expect(payload).toEqual({ section: 'alarms', by: '王工', before: entry.before, after: entry.after });
    expect(Object.keys(payload)).toEqual(['section', 'by', 'before', 'after']);
    expect(rows[0]!.ts).toBe(entry.ts);
    expect((payload['after'] as { sites: { prepare: { levelM: number } }[] }).sites[0]?.prepare.levelM).toBe(4.5);
    expect((payload['before'] as { sites: { prepare: { levelM: number } }[] }).sites[0]?.prepare.levelM).toBe(5);

    const outbox = new OutboxStore({ db: box.db });
    const lane = outbox.readLane('health', { limit: 10 });
    expect(lane.map((r) => r.record)).toEqual([{ seq: rows[0]!.seq, kind: 'audit', ts: entry.ts, payload }]);
    expect(outbox.backlog().health.records).toBe(1);
    expect(outbox.feed({ after: 0, limit: 10 }).records).toEqual([{ seq: rows[0]!.seq, kind: 'audit', ts: entry.ts, payload }]);

    // The hub's ingest schema takes it in the health lane.
    const body = { box: 'xiaoshan-01', dbId: 'x', batch: 1, lanes: [{ lane: 'health', after: 0, records: lane.map((r) => r.record) }] };
    expect(ingestBodySchema.safeParse(body).success).toBe(true);
  });

  it('the account is in the payload when there is one, and a failed save leaves neither row', () => {
    const box = tempBox();
    cleanups.push(() => box.cleanup());
    const store = new SettingsStore(box.db);
    store.save({ section: 'dispatch', value: {}, before: { plans: [] }, after: { plans: [1] }, by: 'admin', account: 'admin', ts: 1_765_000_000_000 });
    expect(auditRows(box).map((r) => JSON.parse(r.payload) as unknown)).toEqual([
      { section: 'dispatch', by: 'admin', account: 'admin', before: { plans: [] }, after: { plans: [1] } },
    ]);
    // A value JSON cannot hold fails the transaction before anything is committed: no audit row, no change-log row.
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => store.save({ section: 'dispatch', value: {}, before: {}, after: cyclic, by: 'admin', ts: 1_765_000_000_001 })).toThrow();
    expect(auditRows(box)).toHaveLength(1);
    expect(store.audit({ limit: 10 })).toHaveLength(1);
  });
});
