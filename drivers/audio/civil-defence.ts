import type { SirenPattern } from './siren-pattern.js';

/**
 * China's civil-defence (人防) air-raid signals. A flood siren must never be mistaken for one of them:
 * people are drilled to take shelter indoors on an air-raid signal, the opposite of evacuating a river bank.
 */
export const CIVIL_DEFENCE_SIGNALS = [
  { id: 'pre-warning', label: '预先警报', onMs: 36_000, offMs: 24_000, cycles: 3 },
  { id: 'air-raid', label: '空袭警报', onMs: 6_000, offMs: 6_000, cycles: 15 },
  { id: 'all-clear', label: '解除警报', onMs: 180_000, offMs: 0, cycles: 1 },
] as const;

export type CivilDefenceSignalId = (typeof CIVIL_DEFENCE_SIGNALS)[number]['id'];

/**
 * How close is too close. Chosen so that a listener who knows the civil-defence rhythm could not confuse ours:
 * - `relative`: an on or off time within ±35 % of a signal's is "the same" (hand-cranked and motor sirens
 *   spin up and down over seconds, and people judge a few seconds of rhythm only roughly);
 * - `minCycles`: two consecutive matching on/off cycles already establish the rhythm;
 * - `gapMergeMs`: pauses shorter than 1 s are heard as part of the sound (a stutter, not an "off");
 * - `maxContinuousOnMs`: no uninterrupted sound longer than 20 s. That stays below the pre-warning's 36 s burst
 *   even at −35 % (23.4 s) and far below the 3-minute all-clear; our sirens need only a few seconds.
 */
export const CIVIL_DEFENCE_TOLERANCE = {
  relative: 0.35,
  minCycles: 2,
  gapMergeMs: 1_000,
  maxContinuousOnMs: 20_000,
} as const;

export type CivilDefenceCheck =
  | { ok: true }
  | { ok: false; signal: CivilDefenceSignalId; reason: string };

interface Run {
  on: boolean;
  ms: number;
}

/** The pattern as the ear hears it: alternating sound/pause runs, with short pauses folded into the sound. */
export function audibleRuns(pattern: SirenPattern, gapMergeMs: number = CIVIL_DEFENCE_TOLERANCE.gapMergeMs): Run[] {
  const raw: Run[] = [];
  for (let r = 0; r < pattern.repeat; r++) {
    for (const s of pattern.segments) pushRun(raw, { on: s.kind !== 'silence', ms: s.ms });
  }
  const merged: Run[] = [];
  raw.forEach((run, i) => {
    const between = i > 0 && i < raw.length - 1;
    pushRun(merged, !run.on && between && run.ms < gapMergeMs ? { on: true, ms: run.ms } : run);
  });
  return merged;
}

function pushRun(runs: Run[], run: Run): void {
  const last = runs[runs.length - 1];
  if (last && last.on === run.on) last.ms += run.ms;
  else runs.push({ ...run });
}

const within = (value: number, target: number, rel: number): boolean =>
  value >= target * (1 - rel) && value <= target * (1 + rel);

/** Pure check: does this pattern match or come close to a civil-defence signal? */
export function checkNotCivilDefence(pattern: SirenPattern): CivilDefenceCheck {
  const tol = CIVIL_DEFENCE_TOLERANCE;
  const runs = audibleRuns(pattern, tol.gapMergeMs);
  const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

  for (const run of runs) {
    if (run.on && run.ms > tol.maxContinuousOnMs) {
      const signal: CivilDefenceSignalId = run.ms >= 180_000 * (1 - tol.relative) ? 'all-clear' : 'pre-warning';
      return {
        ok: false,
        signal,
        reason:
          `continuous sound of ${sec(run.ms)} exceeds ${sec(tol.maxContinuousOnMs)}; ` +
          `long steady sound imitates the civil-defence ${signal} signal (36 s bursts / 3 min continuous)`,
      };
    }
  }

  // Each sound run with the pause after it; a final sound run's pause is unknown (whatever follows), so it matches.
  const cycles: { onMs: number; offMs: number | undefined }[] = [];
  runs.forEach((run, i) => {
    if (!run.on) return;
    const next = runs[i + 1];
    cycles.push({ onMs: run.ms, offMs: next ? next.ms : undefined });
  });

  for (const sig of CIVIL_DEFENCE_SIGNALS) {
    if (sig.offMs === 0) continue; // the continuous signal is covered by maxContinuousOnMs
    let streak = 0;
    for (const c of cycles) {
      const onMatch = within(c.onMs, sig.onMs, tol.relative);
      const offMatch = c.offMs === undefined || within(c.offMs, sig.offMs, tol.relative);
      streak = onMatch && offMatch ? streak + 1 : 0;
      if (streak >= tol.minCycles) {
        return {
          ok: false,
          signal: sig.id,
          reason:
            `${streak} on/off cycles close to ${sec(sig.onMs)} on / ${sec(sig.offMs)} off ` +
            `(±${tol.relative * 100} %) imitate the civil-defence ${sig.id} signal (${sig.label})`,
        };
      }
    }
  }
  return { ok: true };
}
