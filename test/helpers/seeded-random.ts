/** A uniform random number in [0, 1) from a seeded stream. */
export type Rng = () => number;

/** A tiny seeded PRNG (mulberry32), so a failing random case or run can be replayed from its seed. Pure. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}
