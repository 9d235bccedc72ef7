/** One benchmark line: our figure, the peer's (or the physical limit) measured in the same run, and their ratio. */
export interface BenchResult {
  readonly name: string;
  readonly ours: number;
  readonly peer: number;
  readonly ratio: number;
  readonly unit: string;
  /** What the issue aims for, printed beside the ratio. */
  readonly aim?: string;
  readonly note?: string;
}
