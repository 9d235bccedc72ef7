/** Quality flag carried by every reading. */
export const QUALITIES = ['good', 'comm_fail', 'out_of_range', 'stale'] as const;
export type Quality = (typeof QUALITIES)[number];

/** One water-level observation. `value` is metres on the local gauge datum, or null when there is none. */
export interface Reading {
  readonly sensorId: string;
  /** UTC milliseconds when the response arrived (or the poll failed). */
  readonly ts: number;
  readonly value: number | null;
  readonly quality: Quality;
  /** Why the quality is not `good`; never stored, only logged and shown in health. */
  readonly detail?: string;
}

/** A reading as stored, with its row id (which is monotonic, like the change log sequence). */
export interface StoredReading extends Reading {
  readonly id: number;
}

export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
