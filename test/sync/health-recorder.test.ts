import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthRecorder } from '../../node-daemon/sync/outbox/health-recorder.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import { captureLogger } from '../storage/storage-helpers.js';
import { T0, tempBox, type TempBox } from './outbox-fixture.js';

let box: TempBox;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'], now: T0 });
  box = tempBox();
});
afterEach(() => {
  vi.useRealTimers();
  box.cleanup();
});

function healthRows(): { seq: number; ts: number; status: string }[] {
  return (box.db.prepare("SELECT seq, ts, payload FROM change_log WHERE kind = 'health' ORDER BY seq").all() as { seq: number; ts: number; payload: string }[]).map((r) => ({
    seq: r.seq,
    ts: r.ts,
    status: (JSON.parse(r.payload) as { status: string }).status,
  }));
}

describe('HealthRecorder (virtual time)', () => {
  it('logs a health record at start, every interval and on each change of overall status, and stops when stopped', async () => {
    let status = 'ok';
    let snapshots = 0;
    const logs = captureLogger();
    const recorder = new HealthRecorder({
      db: box.db,
      log: logs.log,
      snapshot: () => {
        snapshots += 1;
        return { status, ts: Date.now(), sensors: [{ id: 'river', status: status === 'ok' ? 'good' : 'comm_fail' }] };
      },
      status: () => status,
      intervalMs: 15 * 60_000,
      checkMs: 5_000,
      clock: () => Date.now(),
    });
    await recorder.start();
    expect(healthRows()).toEqual([{ seq: 1, ts: T0, status: 'ok' }]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(healthRows()).toHaveLength(1);
    expect(snapshots).toBe(1);
    status = 'degraded';
    await vi.advanceTimersByTimeAsync(5_000);
    expect(healthRows().at(-1)).toEqual({ seq: 2, ts: T0 + 10 * 60_000 + 5_000, status: 'degraded' });
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    expect(healthRows().map((r) => r.ts - T0)).toEqual([0, 605_000, 1_505_000]);
    status = 'ok';
    await vi.advanceTimersByTimeAsync(5_000);
    expect(healthRows()).toHaveLength(4);
    await recorder.stop();
    status = 'degraded';
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(healthRows()).toHaveLength(4);
    expect(logs.events('sync.health_recorded').map((l) => l['reason'])).toEqual(['start', 'status', 'interval', 'status']);

    // They are the health lane's records, payload as given.
    const lane = new OutboxStore({ db: box.db }).readLane('health', { limit: 10 });
    expect(lane.map((r) => r.record.kind)).toEqual(['health', 'health', 'health', 'health']);
    expect(lane[1]!.record.payload).toEqual({ status: 'degraded', ts: T0 + 605_000, sensors: [{ id: 'river', status: 'comm_fail' }] });
  });

  it('a failed insert is logged once and tried again at the next look', async () => {
    const logs = captureLogger();
    const recorder = new HealthRecorder({ db: box.db, log: logs.log, snapshot: () => ({ status: 'ok' }), checkMs: 1_000, clock: () => Date.now() });
    box.db.exec("CREATE TRIGGER refuse BEFORE INSERT ON change_log WHEN NEW.kind = 'health' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    await recorder.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(healthRows()).toEqual([]);
    expect(logs.events('sync.health_record_failed')).toHaveLength(1);
    box.db.exec('DROP TRIGGER refuse');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(healthRows()).toHaveLength(1);
    await recorder.stop();
  });
});
