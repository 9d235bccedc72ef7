/**
 * `sync.maxRateKbit`: the send rate cap (docs/sync.md, "Link economy"). Pure. The transport writes a request body in
 * slices of `sliceBytes` and, before each slice, waits until the bytes written so far would have taken their time at
 * the cap since the request started: the body leaves at no more than the cap, averaged over a tenth of a second,
 * and the link keeps room for whatever else shares it (a voice call, an operator's browser).
 */

export const PACE_TICK_MS = 100;
const MIN_SLICE = 512;

/** The slice written at a time: a tick's worth at the cap, at least 512 bytes. */
export function sliceBytes(maxRateKbit: number): number {
  return Math.max(MIN_SLICE, Math.floor((maxRateKbit * 1000) / 8 / (1000 / PACE_TICK_MS)));
}

/** How long `bytes` take at the cap, ms. */
export function durationAtRate(bytes: number, maxRateKbit: number): number {
  return maxRateKbit > 0 ? Math.ceil((bytes * 8) / maxRateKbit) : 0;
}

/** How long to wait, `elapsedMs` after the start, before writing more when `sentBytes` are already out. */
export function paceWaitMs(sentBytes: number, elapsedMs: number, maxRateKbit: number): number {
  return Math.max(0, durationAtRate(sentBytes, maxRateKbit) - elapsedMs);
}
