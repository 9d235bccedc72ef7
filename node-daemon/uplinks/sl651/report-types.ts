import type { ObservationGroup } from './codec/model.js';

/** The reports the box plans from its stored readings (report-plan.ts) and queues durably (outbox-store.ts). */
export type ReportKind = 'timed' | 'added' | 'hourly';

export interface PlannedReport {
  readonly kind: ReportKind;
  /** FN.timed, FN.added or FN.hourly. */
  readonly fn: number;
  /** The report's main observation time (UTC ms, on a minute). */
  readonly observedAt: number;
  /** Only `number` and `fiveMinute` elements: what JSON carries unchanged. */
  readonly groups: readonly ObservationGroup[];
  /** Why an added report was made, for logs and the simulator check: e.g. "39 crossed 3.5 m rising". */
  readonly reason?: string;
}
