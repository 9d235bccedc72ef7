/**
 * The HTTP API's contract as TypeScript types: what each route of /api/v1 answers and what it takes, inferred from the
 * zod schemas the routes validate with and the OpenAPI document is built from (`z.output` for answers, `z.input` for
 * request bodies). The web UI types every request with these and imports nothing else of the daemon (type-only: no
 * daemon code enters its bundle).
 *
 * Everything here, and everything it imports, is free of Node (the UI is type-checked with the DOM library and no
 * @types/node): the schemas live in node-free modules (schemas.ts, alarm-schemas.ts, errors.ts, schemas/*.ts), and
 * the routes import them from there. Type-only imports throughout: this module has no code of its own.
 */
import type { z } from 'zod';
import type { CSRF_HEADER } from './auth-names.js';
import type {
  ackBodySchema,
  alarmChangeSchema,
  alarmListSchema,
  alarmSchema,
  alarmTransitionSchema,
  alarmWithHistorySchema,
  clearBodySchema,
  countyAlarmBodySchema,
  manualAlarmBodySchema,
  shelveBodySchema,
} from './alarm-schemas.js';
import type { authErrorBodySchema, errorBodySchema } from './errors.js';
import type {
  aggregateSchema,
  aggregatesResponseSchema,
  busHealthSchema,
  healthSchema,
  rawReadingsResponseSchema,
  readingSchema,
  sensorHealthSchema,
  sensorsResponseSchema,
  sensorSummarySchema,
} from './schemas.js';
import type { authStateSchema, signedInSchema, userSummarySchema } from './schemas/auth.js';
import type { ledAcceptedSchema, speakAcceptedSchema } from './schemas/broadcast.js';
import type { ledBoardSnapshotSchema, outputsSnapshotSchema, relaySnapshotSchema, speakerSnapshotSchema } from './schemas/outputs.js';
import type { onAirSchema, scheduledProgrammeStatusSchema, stationViewSchema } from './schemas/station.js';
import type { auditListSchema, settingsBodySchema, settingsChangedSchema, settingsProblemSchema, settingsProblemsSchema } from './schemas/settings.js';
import type { siteSchema, siteSensorSchema, sitesBodySchema } from './schemas/sites.js';
import type { bootstrapSchema } from './schemas/bootstrap.js';
import type { systemBodySchema } from './schemas/system.js';
import type { contentFileStateSchema, contentHealthSchema, contentListSchema } from './schemas/content.js';
import type { noticeListSchema, noticeSchema, noticesQuerySchema, ordersHealthSchema } from './schemas/notices.js';
import type { libraryCategoriesSchema, libraryImportBodySchema, libraryImportReportSchema, libraryItemSchema, libraryPageSchema, mediaHealthSchema } from './schemas/library.js';
import type { userCreatedSchema, userListSchema, userSchema } from './schemas/users.js';
import type { sl651CentreHealthSchema } from './schemas/uplinks.js';
import type { updateHealthSchema } from './schemas/update.js';
import type { backupHealthSchema, backupRunHealthSchema, backupTargetHealthSchema } from './schemas/backup.js';
import type { alarmImagesSchema, cameraHealthSchema, cameraImageSchema, pictureQueuedSchema, siteImagesSchema } from './schemas/cameras.js';
import type { smsDeliverySchema, smsHealthSchema } from './schemas/sms.js';
import type {
  pinBodySchema,
  recordingChannelSchema,
  recordingEventSchema,
  recordingGapSchema,
  recordingListSchema,
  recordingLiveSchema,
  recordingSchema,
  recordingSegmentListSchema,
  recordingSegmentSchema,
  recordNowBodySchema,
  UnplayableVideoMessage,
} from './schemas/recordings.js';
import type {
  guideStateSchema,
  scheduleAddedSchema,
  scheduleConflictSchema,
  scheduledJobSchema,
  scheduleDeletedSchema,
  scheduleEntryBodySchema,
  scheduleEntrySchema,
  scheduleViewSchema,
} from './schemas/recording-schedule.js';

// ---------------------------------------------------------------------------------------------------------------
// Answers, by route. The names are the OpenAPI document's `components.schemas` where it names the shape.

/** `GET /health` (always 200; `status` says ok or degraded). */
export type Health = z.output<typeof healthSchema>;
export type BusHealth = z.output<typeof busHealthSchema>;
export type SensorHealth = z.output<typeof sensorHealthSchema>;

/** `GET /sensors`. */
export type SensorList = z.output<typeof sensorsResponseSchema>;
export type Sensor = z.output<typeof sensorSummarySchema>;

/** `GET /sensors/:id/readings` with `resolution=raw` (the default). */
export type Readings = z.output<typeof rawReadingsResponseSchema>;
export type Reading = z.output<typeof readingSchema>;
/** `GET /sensors/:id/readings?resolution=15m`. */
export type Aggregates = z.output<typeof aggregatesResponseSchema>;
export type Aggregate = z.output<typeof aggregateSchema>;

/** `GET /alarms`: without their history. */
export type AlarmList = z.output<typeof alarmListSchema>;
export type Alarm = z.output<typeof alarmSchema>;
/** `GET /alarms/:id`: with every transition, oldest first. */
export type AlarmWithHistory = z.output<typeof alarmWithHistorySchema>;
export type AlarmTransition = z.output<typeof alarmTransitionSchema>;
/** `POST /alarms`, `/alarms/county`, `/alarms/:id/ack|shelve|unshelve|clear`. */
export type AlarmChange = z.output<typeof alarmChangeSchema>;

/** `GET /outputs`. */
export type Outputs = z.output<typeof outputsSnapshotSchema>;
export type RelaySnapshot = z.output<typeof relaySnapshotSchema>;
export type SpeakerSnapshot = z.output<typeof speakerSnapshotSchema>;
export type LedBoardSnapshot = z.output<typeof ledBoardSnapshotSchema>;

/** `GET /station`: each loudspeaker's queue and the scheduled programmes. */
export type StationView = z.output<typeof stationViewSchema>;
export type OnAir = z.output<typeof onAirSchema>;
export type ScheduledProgrammeStatus = z.output<typeof scheduledProgrammeStatusSchema>;

/** `GET /auth/state` (public). */
export type AuthState = z.output<typeof authStateSchema>;
/** `POST /auth/setup` (201) and `/auth/login` (200). */
export type SignedIn = z.output<typeof signedInSchema>;
export type UserSummary = z.output<typeof userSummarySchema>;

/** `GET /users` (admin). */
export type UserList = z.output<typeof userListSchema>;
export type User = z.output<typeof userSchema>;
/** `POST /users` (201). */
export type UserCreated = z.output<typeof userCreatedSchema>;

/** `GET /sites`. */
export type Sites = z.output<typeof sitesBodySchema>;
export type Site = z.output<typeof siteSchema>;
export type SiteSensor = z.output<typeof siteSensorSchema>;

/** `GET /system`. */
export type System = z.output<typeof systemBodySchema>;

/** `GET /bootstrap`: the web UI's first screen in one answer (each part as its own route answers it, or null). */
export type Bootstrap = z.output<typeof bootstrapSchema>;

/** `GET /content`: the county's content manifest on the box and each file's download state. */
export type ContentList = z.output<typeof contentListSchema>;
export type ContentFileState = z.output<typeof contentFileStateSchema>;
/** `sync.content` of `GET /health`. */
export type ContentHealth = z.output<typeof contentHealthSchema>;

/** `GET /library` (search and browse), `GET /library/{id}`, `DELETE /library/{id}`; the file is at `fileUrl` (HTTP Range). */
export type LibraryPage = z.output<typeof libraryPageSchema>;
export type LibraryItem = z.output<typeof libraryItemSchema>;
export type LibraryCategories = z.output<typeof libraryCategoriesSchema>;
/** `POST /library/import`: the body, and what was imported, duplicated, corrupt or skipped. */
export type LibraryImportBody = z.input<typeof libraryImportBodySchema>;
export type LibraryImportReport = z.output<typeof libraryImportReportSchema>;
/** `media` of `GET /health`: the disk quota. */
export type MediaHealth = z.output<typeof mediaHealthSchema>;

/** `GET /notices?state=&limit=`: the county's notices, newest first. */
export type NoticeList = z.output<typeof noticeListSchema>;
export type Notice = z.output<typeof noticeSchema>;
export type NoticesQuery = z.input<typeof noticesQuerySchema>;
/** `sync.orders` of `GET /health`: the county's downstream orders. */
export type OrdersHealth = z.output<typeof ordersHealthSchema>;

/** `uplinks.sl651` of `GET /health`: one SL 651 centre link. */
export type Sl651CentreHealth = z.output<typeof sl651CentreHealthSchema>;

/** `backup` of `GET /health`: the scheduled backups, the last run with each target's result, the next due time. */
export type BackupHealth = z.output<typeof backupHealthSchema>;
export type BackupRunHealth = z.output<typeof backupRunHealthSchema>;
export type BackupTargetHealth = z.output<typeof backupTargetHealthSchema>;
/** `cameras` of `GET /health`: one camera's last picture and last error. */
export type CameraHealth = z.output<typeof cameraHealthSchema>;
/** One camera picture, with its JPEG and thumbnail URLs. */
export type CameraImage = z.output<typeof cameraImageSchema>;
/** `GET /sites/{id}/images`: the site's cameras and recent pictures, newest first. */
export type SiteImages = z.output<typeof siteImagesSchema>;
/** `GET /alarms/{id}/images`: the pictures of an alarm (before, at, after each transition), oldest first. */
export type AlarmImages = z.output<typeof alarmImagesSchema>;
/** `POST /cameras/{id}/picture` (operator), 202: the picture asked for is queued. */
export type PictureQueued = z.output<typeof pictureQueuedSchema>;
/** `update` of `GET /health`: what the last `fenghuo update` did (updated, rolled back by itself, failed). */
export type UpdateHealth = z.output<typeof updateHealthSchema>;
/** `sms` of `GET /health`: the warning SMS transport, queue and daily count. */
export type SmsHealth = z.output<typeof smsHealthSchema>;
/** One recipient's warning SMS, in `sms` of `GET /alarms/{id}`. */
export type SmsDelivery = z.output<typeof smsDeliverySchema>;

/** `GET /recordings`: every recording (newest first, `live` while recording) and the channels. */
export type RecordingList = z.output<typeof recordingListSchema>;
/** `GET /recordings/:id`; also `POST /recordings/now` (201), `/recordings/:id/stop`, `PUT /recordings/:id/pin`. */
export type Recording = z.output<typeof recordingSchema>;
export type RecordingGap = z.output<typeof recordingGapSchema>;
export type RecordingLive = z.output<typeof recordingLiveSchema>;
export type RecordingChannel = z.output<typeof recordingChannelSchema>;
export type RecordingState = Recording['state'];
/** The `recording` live event of `GET /events`. */
export type RecordingEvent = z.output<typeof recordingEventSchema>;
/** `POST /recordings/now` (operator). */
export type RecordNowBody = z.input<typeof recordNowBodySchema>;
/** `PUT /recordings/:id/pin` (operator). */
export type PinBody = z.input<typeof pinBodySchema>;
/** `GET /recordings/:id/segments`: the original MPEG-TS segments to download (`url` of each: `GET /recordings/:id/segments/:name`). */
export type RecordingSegmentList = z.output<typeof recordingSegmentListSchema>;
export type RecordingSegment = z.output<typeof recordingSegmentSchema>;
export type { UnplayableVideoMessage };

/** `GET /recordings/schedule`: jobs to come (with their state), conflicts, entries, the XMLTV guide's state. */
export type RecordingSchedule = z.output<typeof scheduleViewSchema>;
export type ScheduledJob = z.output<typeof scheduledJobSchema>;
export type ScheduleConflict = z.output<typeof scheduleConflictSchema>;
export type ScheduleEntry = z.output<typeof scheduleEntrySchema>;
export type GuideState = z.output<typeof guideStateSchema>;
/** `POST /recordings/schedule` (operator): a one-off, weekly or record-now entry; 201 `ScheduleAdded`. */
export type ScheduleEntryBody = z.input<typeof scheduleEntryBodySchema>;
export type ScheduleAdded = z.output<typeof scheduleAddedSchema>;
/** `DELETE /recordings/schedule/{id}` (operator). */
export type ScheduleDeleted = z.output<typeof scheduleDeletedSchema>;

/** `GET /settings` (admin). */
export type Settings = z.output<typeof settingsBodySchema>;
/** `PUT /settings/alarms|dispatch` (admin), 200. */
export type SettingsChanged = z.output<typeof settingsChangedSchema>;
/** `PUT /settings/alarms|dispatch`, 400: the error body with every problem found. */
export type SettingsProblems = z.output<typeof settingsProblemsSchema>;
export type SettingsProblem = z.output<typeof settingsProblemSchema>;
/** `GET /audit` (admin). */
export type AuditLog = z.output<typeof auditListSchema>;
export type AuditEntry = AuditLog['entries'][number];

/** `POST /broadcast/speak` (202). */
export type SpeakAccepted = z.output<typeof speakAcceptedSchema>;
/** `POST /broadcast/led` (202). */
export type LedAccepted = z.output<typeof ledAcceptedSchema>;

/** The answer of `POST /auth/logout`, `DELETE /users/:name` and `POST /users/:name/password`: 204, no body. */
export type NoContent = undefined;

// ---------------------------------------------------------------------------------------------------------------
// Errors. Every failure under /api answers `{error: {code, param?, message}}`; the auth layer's 401/403/429 carry its
// own codes (with `triesLeft`, `retryAfterMs`), and a refused settings section adds `problems` beside `error`.

export type ErrorBody = z.output<typeof errorBodySchema>;
export type ErrorCode = ErrorBody['error']['code'];
export type AuthErrorBody = z.output<typeof authErrorBodySchema>;
export type AuthErrorCode = AuthErrorBody['error']['code'];
/** Any error answer of the API. */
export type ApiErrorBody = ErrorBody | AuthErrorBody | SettingsProblems;

// ---------------------------------------------------------------------------------------------------------------
// Request bodies (JSON), as the client writes them.

/** `POST /alarms/:id/ack`. */
export type AckBody = z.input<typeof ackBodySchema>;
/** `POST /alarms/:id/shelve` (faults only). */
export type ShelveBody = z.input<typeof shelveBodySchema>;
/** `POST /alarms/:id/clear` and `/alarms/:id/unshelve`. */
export type ClearBody = z.input<typeof clearBodySchema>;
/** `POST /alarms`: a manual alarm or a drill. */
export type ManualAlarmBody = z.input<typeof manualAlarmBodySchema>;
/** `POST /alarms/county`. */
export type CountyAlarmBody = z.input<typeof countyAlarmBodySchema>;

// These bodies' schemas need Node (the password rules hash with node:crypto; the broadcast limits name the
// dispatcher's defaults), so they are spelled out here; routes/auth.ts, users.ts and broadcast.ts fail to compile if
// their schemas' `z.input` and these differ.

/** `POST /auth/setup`: the first admin; `setupCode` unless the request comes from the box itself. */
export interface SetupBody {
  name: string;
  password: string;
  setupCode?: string | undefined;
}

/** `POST /auth/login`. */
export interface LoginBody {
  name: string;
  password: string;
}

/** `POST /users` (admin). */
export interface NewUserBody {
  name: string;
  password: string;
  role: Role;
}

/** `POST /users/:name/password` (admin). */
export interface PasswordBody {
  password: string;
}

/** `POST /broadcast/speak`: `speakers` by id, default every speaker. */
export interface SpeakBody {
  text: string;
  speakers?: string[] | undefined;
  by?: string | undefined;
}

/** `POST /broadcast/led`: `boards` by id, default every board. */
export interface LedBody {
  text: string;
  boards?: string[] | undefined;
  minutes?: number | undefined;
  by?: string | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Shared names, as they appear in the answers above.

export type Role = UserSummary['role'];
export type Quality = Reading['quality'];
/** A sensor's status in /health, /sensors and /sites: the quality of its newest reading, or `unknown` before one. */
export type SensorStatus = SensorHealth['status'];
export type BreakerState = SensorHealth['breaker'];
export type BusState = BusHealth['state'];
export type AlarmLevel = NonNullable<Alarm['level']>;
export type AlarmKind = Alarm['kind'];
export type AlarmState = Alarm['state'];
export type TransitionType = AlarmTransition['type'];
export type AlarmCause = AlarmTransition['cause'];
export type SettingsSection = SettingsChanged['section'];
/** The header that carries a cookie session's CSRF token (`csrfToken` of AuthState and SignedIn) on every change. */
export type CsrfHeader = typeof CSRF_HEADER;
