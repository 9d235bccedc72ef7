import type { PlayoutClass } from './playout-queue.js';

/**
 * What the station plays. The station knows nothing of alarm rules: whoever asks says what kind of programme it is,
 * and the kind (with an alarm's level) is its priority on the loudspeakers.
 */
export type ProgrammeKind = 'alarm' | 'all_clear' | 'county_notice' | 'operator_message' | 'scheduled';

/** The two alarm levels that sound, most urgent last. */
export type AlarmProgrammeLevel = 'prepare' | 'evacuate';

/** Spoken text (with the speaker's voice), after a siren tone when one is named; or a WAV file played as it is. */
export type ProgrammeSound = { readonly speech: string; readonly sirenPattern?: string } | { readonly file: string };

interface ProgrammeBase {
  /** Queue key: a programme with the same key replaces the one queued or playing. */
  readonly key: string;
  /** What the programme speaks for, shown per speaker (an alarm key, an announcement key); none for a scheduled one. */
  readonly about?: string;
  readonly title?: string;
  readonly sound: ProgrammeSound;
  /** Times the sound plays, with `intervalS` of silence between. */
  readonly repeat: number;
  readonly intervalS: number;
}

export type Programme =
  | (ProgrammeBase & { readonly kind: 'alarm'; readonly level: AlarmProgrammeLevel })
  | (ProgrammeBase & { readonly kind: Exclude<ProgrammeKind, 'alarm'> });

/** Priority on the loudspeakers: evacuate > prepare > notices and all-clears > scheduled programmes. */
export function playoutClassOf(p: Programme): PlayoutClass {
  switch (p.kind) {
    case 'alarm':
      return p.level;
    case 'all_clear':
    case 'county_notice':
    case 'operator_message':
      return 'county';
    case 'scheduled':
      return 'programme';
  }
}

/**
 * Whether a pre-empted programme plays again, whole, after what cut it. A scheduled programme does not: it is cut
 * and stays cut (a price bulletin resuming over the end of an evacuation order would be worse than none).
 */
export function resumesAfterCut(p: Programme): boolean {
  return p.kind !== 'scheduled';
}
