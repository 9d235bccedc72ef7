import type { Observable } from 'rxjs';
import type { SensorConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import type { HealthSnapshot, SensorHealth } from '../sensing/health-types.js';
import type { ReadingsReader } from '../storage/types.js';
import type { LiveEvent } from './routes/events.js';

/** What the API reads health from; `StatusRegistry` is one. */
export interface HealthSource {
  snapshot(): HealthSnapshot;
  sensor(id: string): SensorHealth | undefined;
}

export interface AppDeps {
  /** The configured sensors (config `sensors`), in the order the API lists them. */
  readonly sensors: readonly SensorConfig[];
  readonly health: HealthSource;
  readonly readings: ReadingsReader;
  readonly log: Logger;
  /** What `GET /api/v1/events` streams (see `liveEvents(hub)`); none when absent. */
  readonly events?: Observable<LiveEvent>;
  /** Now, for the default readings range. */
  readonly clock?: Clock;
}

export const API_PREFIX = '/api/v1';
