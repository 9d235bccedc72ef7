// GET /metrics on the real daemon (buildDaemon: real SQLite, real HTTP and auth layer) polling a simulated site over
// Modbus TCP (the site simulator): the answer parses as the Prometheus text format, needs a token like the API
// (viewer is enough), and its values are the daemon's live state: poll counters and stored readings move between
// scrapes, a slave that falls silent counts timeouts and opens its breaker, an alarm shows by level and state, the
// county outbox backlog grows with the readings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { SiteSimulator } from '../../node-daemon/sim/site-simulator.js';
import { tempDir, waitUntil } from '../daemon/daemon-harness.js';
import { bearerHeaders, testApiTokens, TEST_API_TOKEN } from '../helpers/auth.js';
import { parseExposition, type Exposition } from './prom-text.js';

const VIEWER = `${TEST_API_TOKEN}-viewer`;
let quiet = false;
let sim: SiteSimulator;
let daemon: Daemon | undefined;
let url = '';
const data = tempDir('fenghuo-metrics-');

beforeAll(async () => {
  const profile = loadCatalogue().get('submersible-level')!;
  sim = new SiteSimulator({
    devices: [
      { unit: 1, profile, level: () => 3.0 },
      { unit: 2, profile, level: () => (quiet ? undefined : 2.0) },
    ],
    tcp: { host: '127.0.0.1', port: 0 },
    log: silentLogger(),
  });
  await sim.start();
  const config = {
    http: { apiTokens: testApiTokens('viewer') },
    storage: { flushIntervalMs: 50 },
    buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1', port: sim.port, timeoutMs: 150, retries: 0, breaker: { failureThreshold: 2, openMs: 60_000, maxOpenMs: 60_000 } }],
    sensors: [
      { id: 'river', bus: 'site', slave: 1, profile: 'submersible-level', pollIntervalMs: 100, critical: true },
      { id: 'creek', bus: 'site', slave: 2, profile: 'submersible-level', pollIntervalMs: 100, critical: false },
    ],
  };
  const parsed = parseConfigText(JSON.stringify(config));
  if (!parsed.ok) throw new Error(`config rejected: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  daemon = buildDaemon({ config: parsed.config, dataDir: data.dir, listen: '127.0.0.1:0', log: silentLogger(), clock: systemClock });
  await daemon.start();
  url = daemon.url();
});

afterAll(async () => {
  await daemon?.stop();
  await sim?.stop();
  data.cleanup();
});

async function scrape(token = VIEWER): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`, { headers: bearerHeaders(token) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

describe('GET /metrics', () => {
  it('needs a session or a token: 401 without, 401 with an unknown one, 200 for a viewer', async () => {
    const none = await fetch(`${url}/metrics`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect((await fetch(`${url}/metrics`, { headers: bearerHeaders('not-a-token') })).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: bearerHeaders(VIEWER) })).status).toBe(200);
    // Not under the API prefix, and not in the API document.
    expect((await fetch(`${url}/api/v1/metrics`, { headers: bearerHeaders(VIEWER) })).status).toBe(404);
  });

  it('is the Prometheus text format with the conventions: fenghuo_ prefix, _total counters, base units, snake case labels', async () => {
    const m = await scrape();
    expect(m.samples.length).toBeGreaterThan(20);
    for (const [name, type] of m.types) {
      expect(name, name).toMatch(/^(fenghuo|process)_[a-z0-9_]+$/);
      expect(m.help.get(name), name).toBeTruthy();
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      else expect(name, name).not.toMatch(/_total$/);
      expect(name, name).not.toMatch(/_(ms|milliseconds|kb|mb)$/);
    }
    for (const s of m.samples) for (const label of Object.keys(s.labels)) expect(label).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(m.value('process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(m.value('process_start_time_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    expect(m.series('fenghuo_build_info')[0]?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('poll transactions and readings stored move between scrapes', async () => {
    await waitUntil(async () => ((await scrape()).value('fenghuo_readings_stored_total') ?? 0) > 0, 10_000, 'first readings stored');
    const first = await scrape();
    const requests1 = first.value('fenghuo_modbus_requests_total', { bus: 'site' })!;
    const stored1 = first.value('fenghuo_readings_stored_total')!;
    expect(requests1).toBeGreaterThan(0);
    expect(first.value('fenghuo_modbus_responses_total', { bus: 'site' })).toBeGreaterThan(0);
    expect(first.value('fenghuo_modbus_bus_up', { bus: 'site' })).toBe(1);
    await new Promise((r) => setTimeout(r, 600));
    const second = await scrape();
    expect(second.value('fenghuo_modbus_requests_total', { bus: 'site' })).toBeGreaterThan(requests1);
    expect(second.value('fenghuo_readings_stored_total')).toBeGreaterThan(stored1);
    expect(second.value('fenghuo_sensor_good', { sensor: 'river' })).toBe(1);
    expect(second.value('fenghuo_sensor_last_good_timestamp_seconds', { sensor: 'river' })).toBeGreaterThan(Date.now() / 1000 - 10);
    expect(second.value('fenghuo_storage_write_queue_length')).toBeGreaterThanOrEqual(0);
    expect(second.value('fenghuo_storage_dropped_readings_total')).toBe(0);
    expect(second.value('fenghuo_storage_last_commit_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 10);
    expect(second.value('fenghuo_disk_free_bytes')).toBeGreaterThan(0);
    // Not enrolled: the outbox still fills (the readings lane) and the link says so.
    expect(second.value('fenghuo_sync_link_state', { state: 'not_enrolled' })).toBe(1);
    expect(second.value('fenghuo_sync_link_state', { state: 'up' })).toBe(0);
    expect(second.value('fenghuo_sync_backlog_records', { lane: 'readings' })).toBeGreaterThan(0);
    expect(second.value('fenghuo_sync_backlog_records', { lane: 'alarm' })).toBe(0);
    // The SL 651 uplink is not plugged in: no series (the families are declared all the same).
    expect(second.types.get('fenghuo_sl651_queue_length')).toBe('gauge');
    expect(second.series('fenghuo_sl651_queue_length')).toEqual([]);
  });

  it('a slave that falls silent counts timeouts and opens its breaker; its neighbour stays closed', async () => {
    const before = await scrape();
    expect(before.value('fenghuo_modbus_breaker_open', { bus: 'site', slave: '2' })).toBe(0);
    const timeouts0 = before.value('fenghuo_modbus_errors_total', { bus: 'site', kind: 'timeout' })!;
    quiet = true;
    await waitUntil(async () => (await scrape()).value('fenghuo_modbus_breaker_open', { bus: 'site', slave: '2' }) === 1, 10_000, 'breaker of slave 2 open');
    const after = await scrape();
    expect(after.value('fenghuo_modbus_errors_total', { bus: 'site', kind: 'timeout' })).toBeGreaterThanOrEqual(timeouts0 + 2);
    expect(after.value('fenghuo_modbus_breaker_open', { bus: 'site', slave: '1' })).toBe(0);
    expect(after.value('fenghuo_sensor_breaker_open', { sensor: 'creek' })).toBe(1);
    expect(after.value('fenghuo_sensor_breaker_open', { sensor: 'river' })).toBe(0);
    expect(after.value('fenghuo_sensor_good', { sensor: 'creek' })).toBe(0);
  });

  it('alarms not cleared by kind, level, state and drill', async () => {
    const zero = await scrape();
    expect(zero.value('fenghuo_alarms', { kind: 'manual', level: 'evacuate', state: 'active', drill: 'true' })).toBe(0);
    const res = await fetch(`${url}/api/v1/alarms`, {
      method: 'POST',
      headers: { ...bearerHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ level: 'evacuate', drill: true }),
    });
    expect(res.status).toBe(201);
    const { alarm } = (await res.json()) as { alarm: { id: number } };
    const raised = await scrape();
    expect(raised.value('fenghuo_alarms', { kind: 'manual', level: 'evacuate', state: 'active', drill: 'true' })).toBe(1);
    expect(raised.value('fenghuo_alarms', { kind: 'manual', level: 'evacuate', state: 'active', drill: 'false' })).toBe(0);
    expect(raised.value('fenghuo_sync_backlog_records', { lane: 'alarm' })).toBeGreaterThan(0);
    const ack = await fetch(`${url}/api/v1/alarms/${alarm.id}/ack`, { method: 'POST', headers: { ...bearerHeaders(), 'content-type': 'application/json' }, body: '{}' });
    expect(ack.status).toBe(200);
    const acked = await scrape();
    expect(acked.value('fenghuo_alarms', { kind: 'manual', level: 'evacuate', state: 'active', drill: 'true' })).toBe(0);
    expect(acked.value('fenghuo_alarms', { kind: 'manual', level: 'evacuate', state: 'acknowledged', drill: 'true' })).toBe(1);
  });
});
