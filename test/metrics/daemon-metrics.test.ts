// createDaemonMetrics on made-up sources: the SL 651 hook, output faults and alarms derived from the alarm list,
// absent values left out rather than shown as 0, a failing source left out of the scrape and logged once, and its
// own registry (prom-client's global one stays empty).
import { register as globalRegistry } from 'prom-client';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../node-daemon/alarms/types.js';
import type { StoredBatchEvent } from '../../node-daemon/core/events.js';
import { createLogger } from '../../node-daemon/core/log.js';
import type { OutputsSnapshot } from '../../node-daemon/dispatch/outputs-snapshot.js';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { createDaemonMetrics, type Sl651CentreMetrics, type Sl651MetricsSource } from '../../node-daemon/metrics/daemon-metrics.js';
import { parseExposition } from './prom-text.js';

const health: HealthSnapshot = {
  status: 'degraded',
  ts: 1_700_000_000_000,
  uptimeS: 5,
  version: '0.1.0',
  buses: [{ id: 'rs485-1', type: 'rtu', endpoint: '/dev/ttyUSB0 9600 8N1', state: 'down', counters: { requests: 10, responses: 6, timeouts: 2, exceptions: 1, crcErrors: 1, portErrors: 0, reconnects: 3 } }],
  sensors: [
    { id: 'a', bus: 'rs485-1', slave: 1, profile: 'p', critical: true, status: 'comm_fail', breaker: 'open' },
    { id: 'b', bus: 'rs485-1', slave: 1, profile: 'p', critical: false, status: 'comm_fail', breaker: 'open' },
    { id: 'c', bus: 'rs485-1', slave: 2, profile: 'p', critical: false, status: 'good', lastGoodTs: 1_700_000_000_000, breaker: 'closed' },
  ],
  disk: { path: '/data', freeBytes: 1000, totalBytes: 4000 },
  storage: { pendingWrites: 7 },
};

const alarm = (a: Partial<Alarm> & Pick<Alarm, 'id' | 'key' | 'kind'>): Alarm => ({ level: null, drill: false, state: 'active', title: 't', raisedAt: 0, updatedAt: 0, ...a });

const outputs: OutputsSnapshot = {
  ioBoard: { connection: 'lost', firmware: null },
  relays: [{ name: 'siren', pin: 4, on: false, confirmed: false, confirmedAt: null, lastError: 'read-back mismatch' }],
  speakers: [{ id: 'spk-1', device: 'default', state: 'playing', alarmKey: null, level: null, lastError: null, at: null }],
  ledBoards: [{ id: 'led-1', text: null, acknowledged: false, lastError: null, at: null }],
  silenceOnAck: { prepare: true, evacuate: false },
};

describe('createDaemonMetrics', () => {
  it('derives everything from the sources at scrape time, in a registry of its own', async () => {
    const stored$ = new Subject<StoredBatchEvent>();
    let centres: readonly Sl651CentreMetrics[] = [{ id: 'county-centre', connected: true, queueLength: 3, lastConfirmedAt: 1_700_000_000_500 }];
    const sl651: Sl651MetricsSource = () => centres;
    const metrics = createDaemonMetrics({
      health: () => health,
      stored$,
      alarms: () => [
        alarm({ id: 1, key: 'flood:qingshui', kind: 'flood', level: 'evacuate' }),
        alarm({ id: 2, key: 'output_fault:siren', kind: 'output_fault' }),
        alarm({ id: 3, key: 'output_fault:old-relay', kind: 'output_fault', state: 'acknowledged', shelvedUntil: Date.now() + 60_000 }),
      ],
      outputs: () => outputs,
      sl651,
      version: '9.9.9',
    });
    stored$.next({ readings: [{ id: 1, sensorId: 'a', ts: 0, value: 1, quality: 'good' }, { id: 2, sensorId: 'a', ts: 1, value: 1, quality: 'good' }], seq: 1, ts: 0 });
    const m = parseExposition(await metrics.render());
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');

    expect(m.value('fenghuo_build_info', { version: '9.9.9' })).toBe(1);
    expect(m.value('fenghuo_degraded')).toBe(1);
    expect(m.value('fenghuo_modbus_requests_total', { bus: 'rs485-1' })).toBe(10);
    expect(m.value('fenghuo_modbus_errors_total', { bus: 'rs485-1', kind: 'timeout' })).toBe(2);
    expect(m.value('fenghuo_modbus_errors_total', { bus: 'rs485-1', kind: 'crc' })).toBe(1);
    expect(m.value('fenghuo_modbus_reconnects_total', { bus: 'rs485-1' })).toBe(3);
    expect(m.value('fenghuo_modbus_bus_up', { bus: 'rs485-1' })).toBe(0);
    // One series per slave though two sensors share slave 1.
    expect(m.series('fenghuo_modbus_breaker_open')).toEqual([
      { name: 'fenghuo_modbus_breaker_open', labels: { bus: 'rs485-1', slave: '1' }, value: 1 },
      { name: 'fenghuo_modbus_breaker_open', labels: { bus: 'rs485-1', slave: '2' }, value: 0 },
    ]);
    expect(m.value('fenghuo_sensor_breaker_open', { sensor: 'b' })).toBe(1);
    expect(m.value('fenghuo_sensor_last_good_timestamp_seconds', { sensor: 'c' })).toBe(1_700_000_000);
    expect(m.series('fenghuo_sensor_last_good_timestamp_seconds')).toHaveLength(1);
    expect(m.value('fenghuo_readings_stored_total')).toBe(2);
    expect(m.value('fenghuo_storage_write_queue_length')).toBe(7);
    // Never committed, and no writer status given: absent, not 0.
    expect(m.series('fenghuo_storage_last_commit_timestamp_seconds')).toEqual([]);
    expect(m.series('fenghuo_storage_dropped_readings_total')).toEqual([]);
    expect(m.value('fenghuo_disk_free_bytes')).toBe(1000);

    expect(m.value('fenghuo_alarms', { kind: 'flood', level: 'evacuate', state: 'active', drill: 'false' })).toBe(1);
    expect(m.value('fenghuo_alarms', { kind: 'flood', level: 'prepare', state: 'active', drill: 'false' })).toBe(0);
    expect(m.value('fenghuo_alarms', { kind: 'output_fault', level: 'none', state: 'acknowledged', drill: 'false' })).toBe(1);
    expect(m.value('fenghuo_alarms_shelved')).toBe(1);
    expect(m.value('fenghuo_output_fault', { output: 'siren', type: 'relay' })).toBe(1);
    expect(m.value('fenghuo_output_fault', { output: 'spk-1', type: 'speaker' })).toBe(0);
    expect(m.value('fenghuo_output_fault', { output: 'led-1', type: 'led_board' })).toBe(0);
    expect(m.value('fenghuo_output_fault', { output: 'io-board', type: 'io_board' })).toBe(0);
    expect(m.value('fenghuo_output_fault', { output: 'old-relay', type: 'unknown' })).toBe(1);
    expect(m.value('fenghuo_io_board_connected')).toBe(0);
    expect(m.value('fenghuo_speaker_playing', { speaker: 'spk-1' })).toBe(1);
    // No county link in this health: no sync series.
    expect(m.series('fenghuo_sync_link_state')).toEqual([]);

    expect(m.value('fenghuo_sl651_connected', { centre: 'county-centre' })).toBe(1);
    expect(m.value('fenghuo_sl651_queue_length', { centre: 'county-centre' })).toBe(3);
    expect(m.value('fenghuo_sl651_last_confirmed_timestamp_seconds', { centre: 'county-centre' })).toBe(1_700_000_000.5);

    // The next scrape reads again: a centre gone is gone, one never confirmed has no timestamp.
    centres = [{ id: 'backup', connected: false, queueLength: 0 }];
    const again = parseExposition(await metrics.render());
    expect(again.series('fenghuo_sl651_connected')).toEqual([{ name: 'fenghuo_sl651_connected', labels: { centre: 'backup' }, value: 0 }]);
    expect(again.series('fenghuo_sl651_last_confirmed_timestamp_seconds')).toEqual([]);

    metrics.stop();
    stored$.next({ readings: [{ id: 3, sensorId: 'a', ts: 2, value: 1, quality: 'good' }], seq: 2, ts: 0 });
    expect(parseExposition(await metrics.render()).value('fenghuo_readings_stored_total')).toBe(2);
    expect((await globalRegistry.metrics()).trim()).toBe('');
  });

  it('a source that throws is left out of the scrape and logged once, until it works again', async () => {
    const lines: { event?: string; source?: string }[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as { event?: string }) } });
    let broken = true;
    const metrics = createDaemonMetrics({
      health: () => health,
      alarms: () => {
        if (broken) throw new Error('SQLITE_IOERR: disk I/O error');
        return [];
      },
      log,
    });
    for (let i = 0; i < 3; i += 1) {
      const m = parseExposition(await metrics.render());
      expect(m.series('fenghuo_alarms')).toEqual([]);
      expect(m.value('fenghuo_modbus_requests_total', { bus: 'rs485-1' })).toBe(10);
    }
    expect(lines.filter((l) => l.event === 'metrics.source_failed')).toEqual([expect.objectContaining({ source: 'alarms' })]);
    broken = false;
    expect(parseExposition(await metrics.render()).value('fenghuo_alarms', { kind: 'manual', level: 'prepare', state: 'active', drill: 'true' })).toBe(0);
    expect(lines.filter((l) => l.event === 'metrics.source_recovered')).toHaveLength(1);
  });
});
