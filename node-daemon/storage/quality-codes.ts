import type { Quality } from '../core/types.js';

/** How each quality is stored. These numbers are on disk: never renumber, only add. */
export const QUALITY_CODE = {
  good: 0,
  comm_fail: 1,
  out_of_range: 2,
  stale: 3,
} as const satisfies Record<Quality, number>;

const BY_CODE = new Map<number, Quality>(
  (Object.entries(QUALITY_CODE) as [Quality, number][]).map(([q, c]) => [c, q]),
);

export function qualityFromCode(code: number): Quality {
  const q = BY_CODE.get(code);
  if (q === undefined) throw new Error(`fenghuo: unknown stored quality code ${code}`);
  return q;
}
