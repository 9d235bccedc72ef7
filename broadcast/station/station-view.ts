import type { ScheduledProgrammeStatus } from './scheduled-programmes.js';
import type { SpeakerQueue } from './station.js';

/** What `GET /api/v1/station` shows: each speaker's queue and the scheduled programmes. */
export interface StationView {
  readonly speakers: readonly SpeakerQueue[];
  readonly programmes: readonly ScheduledProgrammeStatus[];
}
