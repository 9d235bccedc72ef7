import { describe, expect, it } from 'vitest';
import { buildStatusReportPdu } from './sim/status-report-pdu.js';
import { DeliveryTracker } from './delivery-tracker.js';
import { decodeStatusReport } from './status-report.js';

const report = (reference: number, status: number) => decodeStatusReport(buildStatusReportPdu({ reference, recipient: '+8613800138000', status, at: new Date(0) }).hex)!;

describe('status reports and delivery tracking', () => {
  it('reads a status report the simulator builds (node-pdu decodes, the builder is from the spec)', () => {
    expect(report(214, 0)).toEqual({ reference: 214, recipient: '+8613800138000', status: 0, state: 'delivered' });
    expect(report(1, 0x21).state).toBe('pending');
    expect(report(1, 0x45).state).toBe('failed');
    expect(decodeStatusReport('not a pdu')).toBeUndefined();
  });

  it('delivers a message when all its parts are delivered, fails it on the first failed part', () => {
    const t = new DeliveryTracker(60_000);
    t.track('m1', [10, 11], 0);
    t.track('m2', [12], 0);
    expect(t.onReport(report(11, 0), 1)).toBeUndefined();
    expect(t.onReport(report(10, 0x20), 1)).toBeUndefined();
    expect(t.onReport(report(10, 0), 2)).toEqual({ messageId: 'm1', state: 'delivered', statuses: [0, 0] });
    expect(t.onReport(report(12, 0x41), 3)).toEqual({ messageId: 'm2', state: 'failed', statuses: [0x41] });
    expect(t.pending(3)).toEqual([]);
  });

  it('gives a wrapped reference to the newest message and forgets old ones', () => {
    const t = new DeliveryTracker(1_000);
    t.track('old', [5], 0);
    t.track('new', [5], 10);
    expect(t.onReport(report(5, 0), 20)?.messageId).toBe('new');
    t.track('stale', [6], 0);
    expect(t.onReport(report(6, 0), 5_000)).toBeUndefined();
  });
});
