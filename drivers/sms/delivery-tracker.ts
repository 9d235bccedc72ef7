import type { DeliveryState, StatusReport } from './status-report.js';

/**
 * Matches status reports to sent messages. A message of several parts has one TP-MR per part; it is delivered when
 * every part is, failed as soon as one part failed. TP-MR is 8 bits and wraps, so a reference belongs to the most
 * recent message sent with it, and tracking ends after `maxAgeMs`.
 */

export interface DeliveryOutcome {
  readonly messageId: string;
  readonly state: Exclude<DeliveryState, 'pending'>;
  /** TP-ST of each part's report, in part order (undefined where none came). */
  readonly statuses: readonly (number | undefined)[];
}

interface Tracked {
  readonly messageId: string;
  readonly references: readonly number[];
  readonly statuses: (number | undefined)[];
  readonly states: DeliveryState[];
  readonly sentAt: number;
}

export class DeliveryTracker {
  private readonly byReference = new Map<number, Tracked>();

  constructor(private readonly maxAgeMs: number) {}

  track(messageId: string, references: readonly number[], now: number): void {
    const tracked: Tracked = {
      messageId,
      references: [...references],
      statuses: references.map(() => undefined),
      states: references.map(() => 'pending' as const),
      sentAt: now,
    };
    for (const r of references) this.byReference.set(r, tracked);
  }

  /** The outcome when this report completes a message, else undefined (unknown reference, or parts still pending). */
  onReport(report: StatusReport, now: number): DeliveryOutcome | undefined {
    this.expire(now);
    const t = this.byReference.get(report.reference);
    if (!t) return undefined;
    const i = t.references.lastIndexOf(report.reference);
    t.statuses[i] = report.status;
    t.states[i] = report.state;
    const failed = t.states.includes('failed');
    if (!failed && !t.states.every((s) => s === 'delivered')) return undefined;
    this.forget(t);
    return { messageId: t.messageId, state: failed ? 'failed' : 'delivered', statuses: [...t.statuses] };
  }

  /** Messages still waiting for reports. */
  pending(now: number): string[] {
    this.expire(now);
    return [...new Set([...this.byReference.values()].map((t) => t.messageId))];
  }

  private expire(now: number): void {
    for (const t of new Set(this.byReference.values())) if (now - t.sentAt > this.maxAgeMs) this.forget(t);
  }

  private forget(t: Tracked): void {
    for (const r of t.references) if (this.byReference.get(r) === t) this.byReference.delete(r);
  }
}
