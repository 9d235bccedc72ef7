import { z } from 'zod';

/** One piece of a siren: a frequency glide, a steady tone, or a pause. Durations in milliseconds. */
export const SirenSegmentSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('sweep'),
    fromHz: z.number().min(50).max(8000),
    toHz: z.number().min(50).max(8000),
    ms: z.number().int().min(10).max(60_000),
  }),
  z.object({
    kind: z.literal('tone'),
    hz: z.number().min(50).max(8000),
    ms: z.number().int().min(10).max(60_000),
  }),
  z.object({ kind: z.literal('silence'), ms: z.number().int().min(10).max(60_000) }),
]);

/** A siren described as data: the segments play in order, and the whole list `repeat` times. */
export const SirenPatternSchema = z.object({
  name: z.string().min(1).max(64),
  segments: z.array(SirenSegmentSchema).min(1).max(200),
  repeat: z.number().int().min(1).max(100),
  /** Linear amplitude 0..1 (default 0.8 leaves headroom against clipping on cheap amplifiers). */
  volume: z.number().gt(0).max(1).optional(),
});

export type SirenSegment = z.infer<typeof SirenSegmentSchema>;
export type SirenPattern = z.infer<typeof SirenPatternSchema>;

export function patternDurationMs(p: SirenPattern): number {
  return p.segments.reduce((sum, s) => sum + s.ms, 0) * p.repeat;
}

/**
 * Built-in sirens. Deliberately short and fast-cycling so none can be mistaken for the civil-defence
 * signals (see civil-defence.ts); the spoken message that follows carries the meaning.
 */
export const SIREN_CATALOGUE = {
  /** 立即转移: rising-falling wail, 500↔1200 Hz, 3 s a cycle, 3 cycles (9 s). */
  evacuate: {
    name: 'evacuate-wail',
    segments: [
      { kind: 'sweep', fromHz: 500, toHz: 1200, ms: 1500 },
      { kind: 'sweep', fromHz: 1200, toHz: 500, ms: 1500 },
    ],
    repeat: 3,
  },
  /** 准备转移: hi-lo two-tone, 960/770 Hz, half a second each, 6 s. */
  prepare: {
    name: 'prepare-two-tone',
    segments: [
      { kind: 'tone', hz: 960, ms: 500 },
      { kind: 'tone', hz: 770, ms: 500 },
    ],
    repeat: 6,
  },
  /** 解除: rising two-note chime with a pause, twice (4.8 s). */
  allClear: {
    name: 'all-clear-chime',
    segments: [
      { kind: 'tone', hz: 660, ms: 400 },
      { kind: 'silence', ms: 200 },
      { kind: 'tone', hz: 880, ms: 800 },
      { kind: 'silence', ms: 1000 },
    ],
    repeat: 2,
  },
} as const satisfies Record<string, SirenPattern>;

export type SirenName = keyof typeof SIREN_CATALOGUE;
