import type { Observable } from 'rxjs';
import type { Auth } from '../auth/auth.js';
import type { CapContext } from '../alarms/cap/cap.js';
import type { ShelvingConfig } from '../alarms/rules/schema.js';
import type { AlarmService } from '../alarms/store/alarm-service.js';
import type { SensorConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import type { HealthSource } from './health-source.js';
import type { ReadingsReader } from '../storage/types.js';
import type { AuthHttpOptions } from './auth-middleware.js';
import type { LiveEvent } from './routes/events.js';
import type { OutputsSource } from './routes/outputs.js';
import type { Broadcaster } from './routes/broadcast.js';
import type { SettingsSource } from './routes/settings.js';
import type { SitesSource } from './routes/sites.js';
import type { ContentSource } from './routes/content.js';
import type { SyncDeps } from './routes/sync-feed.js';
import type { NoticeSource } from './routes/notices.js';
import type { RecordingsSource } from './routes/recordings.js';
import type { RecordingScheduleSource } from './routes/recording-schedule.js';
import type { LibrarySource } from './routes/library.js';
import type { StationSource } from './routes/station.js';
import type { SystemRouteOptions } from './routes/system.js';
import type { MetricsEndpoint } from './routes/metrics.js';
import type { CamerasSource } from './routes/cameras.js';
import type { SmsDelivery } from '../sms/sms-types.js';

/** What the API reads health from; `StatusRegistry` is one. */
export type { HealthSource } from './health-source.js';

export interface AppDeps extends UiBackendDeps {
  /** The configured sensors (config `sensors`), in the order the API lists them. */
  readonly sensors: readonly SensorConfig[];
  readonly health: HealthSource;
  readonly readings: ReadingsReader;
  readonly log: Logger;
  /** What `GET /api/v1/events` streams (see `liveEvents(hub)`); none when absent. */
  readonly events?: Observable<LiveEvent>;
  /** The alarm lifecycle; without it the /alarms routes are absent (404). */
  readonly alarms?: AlarmService;
  /** alarms.shelving as in effect now (settings can change it): default and longest shelve. */
  readonly shelving?: () => ShelvingConfig;
  /** The warning SMS of an alarm (config `sms`), shown with its history by `GET /alarms/:id`. */
  readonly smsDeliveries?: (alarmId: number) => readonly SmsDelivery[];
  /** Sender and area for `GET /api/v1/alarms/:id/cap` and `GET /api/v1/cap/feed`; without it those routes answer 404. */
  readonly cap?: CapContext;
  /** Relays, speakers and LED boards (the dispatcher); without it `GET /outputs` is absent (404). */
  readonly outputs?: OutputsSource;
  /** Now, for the default readings range and shelve ends. */
  readonly clock?: Clock;
  /**
   * Accounts, sessions and tokens: with it every /api/v1 route but the public ones needs a session or a bearer token
   * (see auth/policy.ts) and /auth, /users are served. Without it (unit tests of single routes) nothing is checked;
   * the daemon (compose.ts) always passes it.
   */
  readonly auth?: Auth;
  /** How the auth routes tell the client's address (login rate limit). Default: the socket's peer address. */
  readonly authHttp?: AuthHttpOptions;
  /** The county sync's pull feed (the outbox, box and database ids); without it `GET /sync/feed` is absent (404). */
  readonly sync?: SyncDeps;
  /** The county's content on the box (sync/content); without it `GET /content` is absent (404). */
  readonly content?: ContentSource;
  /** The county's notices (sync/orders); without it `GET /notices` is absent (404). */
  readonly notices?: NoticeSource;
  /** Satellite and TV recordings (node-daemon/recording); without it the /recordings routes are absent (404). */
  readonly recordings?: RecordingsSource;
  /** The recording schedule (node-daemon/recording-schedule); without it the /recordings/schedule routes are absent (404). */
  readonly recordingSchedule?: RecordingScheduleSource;
  /** The farm-content library (library/library-service.ts); without it the /library routes are absent (404). */
  readonly library?: LibrarySource;
  /** The broadcast station and its scheduled programmes; without it `GET /station` is absent (404). */
  readonly station?: StationSource;
  /** Prometheus metrics (metrics/daemon-metrics.ts) at `GET /metrics`, signed in like the API; without it absent (404). */
  readonly metrics?: MetricsEndpoint;
  /** Camera pictures (node-daemon/camera); without it the picture routes are absent (404). */
  readonly cameras?: CamerasSource;
}

/** The backend additions for the web UI; each route is absent (404) without its dependency. */
export interface UiBackendDeps {
  /** The alarm sites in effect, for `GET /sites`. */
  readonly sites?: SitesSource;
  /** The loudspeakers and LED boards for `POST /broadcast/speak` and `/broadcast/led` (the dispatcher). */
  readonly broadcast?: Broadcaster;
  /** For `GET /system`. */
  readonly system?: SystemRouteOptions;
  /** For `GET /settings`, `PUT /settings/alarms|dispatch` and `GET /audit`. */
  readonly settings?: SettingsSource;
}
