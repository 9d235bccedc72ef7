/**
 * The county hub's storage: one small async interface (`HubStore`) that an embedded SQLite file (the default, so
 * `fenghuo hub` runs with no setup) and PostgreSQL (several stateless hub processes on one database) both implement
 * with the same schema (hub/store/migrations.ts) and the same rules.
 *
 * The records are docs/sync.md's record feed as the protocol's schema types them (node-daemon/sync/protocol/
 * records-schema.ts). Nothing here validates: the ingest route checks bodies before they reach the store; the store
 * trusts its caller and only refuses what would corrupt its own bookkeeping (a record in a lane that cannot carry
 * its kind).
 *
 * Times are UTC milliseconds. `received_at` / `receivedAt` is the hub's clock (the store's `clock`), never the box's.
 */

import type { Lane, RecordKind } from '../../node-daemon/sync/outbox/lanes.js';
import type { HealthPayload, SyncRecord } from '../../node-daemon/sync/protocol/records-schema.js';
import type { SqlPort } from './sql-port.js';

/**
 * The record kinds, and the lanes in priority order (docs/sync.md "Lanes and priority"), each with its own acknowledged
 * mark per box: the protocol's, as the box has them.
 */
export { LANES, RECORD_KINDS, type Lane, type RecordKind } from '../../node-daemon/sync/outbox/lanes.js';

/** Which kinds each lane carries. */
export const LANE_KINDS: Readonly<Record<Lane, readonly RecordKind[]>> = {
  alarm: ['alarm'],
  health: ['health', 'audit', 'recording'],
  readings: ['readings', 'aggregates'],
  bulk: ['readings'],
};

/**
 * The records and their payloads: the protocol's, as the hub accepts them (z.output of its schema, read-only), so the
 * store is typed by exactly what the ingest route and the pull feed let through.
 */
export type {
  AggregatesPayload,
  AggregateTuple,
  AlarmPayload,
  AlarmRecordAlarm,
  AlarmRecordTransition,
  AuditPayload,
  FullAlarmPayload,
  HealthPayload,
  MissingAlarmPayload,
  ReadingsPayload,
  ReadingTuple,
  RecordingPayload,
  SyncRecord,
} from '../../node-daemon/sync/protocol/records-schema.js';

/** One lane of an ingest request. */
export interface IngestLane {
  readonly lane: Lane;
  /** The box's acknowledged cursor of this lane (0 at first). */
  readonly after: number;
  /** In `seq` order (the store does not rely on it). */
  readonly records: readonly SyncRecord[];
}

/** The hub's mark per lane: the highest `seq` of that lane stored for the box (0: none). Every lane is present. */
export type LaneMarks = Readonly<Record<Lane, number>>;

export interface IngestCounts {
  /** Records stored by this call. */
  readonly stored: number;
  /** Records skipped as already held (at or below the mark, or already stored under `(box, seq, kind)`). */
  readonly duplicates: number;
}

/**
 * The outcome of one ingest, all of it decided in one transaction.
 * - `stored`: every lane accepted (possibly nothing new); `acked` is the marks after the commit (route: 200).
 * - `conflict`: the lanes in `conflicts` had `after` above the hub's mark and stored nothing; the other lanes WERE
 *   stored (an alarm is never held back by a readings lane that must rewind); `acked` is every mark after the commit
 *   (route: 409 with `{ acked, conflicts }`).
 * - `unknown_box` / `revoked`: nothing stored (route: 403).
 */
export type IngestResult =
  | ({ readonly status: 'stored'; readonly acked: LaneMarks; readonly receivedAt: number } & IngestCounts & SeriesNote)
  | ({ readonly status: 'conflict'; readonly acked: LaneMarks; readonly conflicts: readonly Lane[]; readonly receivedAt: number } & IngestCounts & SeriesNote)
  | { readonly status: 'unknown_box' }
  | { readonly status: 'revoked' }
  /** The ingest named a dbId the box used before but has since replaced: nothing stored (route: 409 stale_database). */
  | { readonly status: 'stale_database'; readonly dbId: string; readonly current: string };

/** Which series the records went to, and whether this ingest started it. */
export interface SeriesNote {
  /** The dbId the records were stored under ('' when neither the ingest nor the box ever named one). */
  readonly dbId: string;
  /** Set when this ingest brought a new dbId: the box's marks were reset to 0 and a new series began. */
  readonly newDatabase?: { readonly from: string };
}

/** Whatever the routes learn about the box's link on a contact (address, dbId, batch, bytes, user agent, …). */
export type LinkInfo = Readonly<Record<string, unknown>>;

export interface Box {
  /** `[a-z0-9][a-z0-9-]{0,62}`, chosen at enrolment. */
  readonly id: string;
  /** The box's Ed25519 public key, raw 32 bytes as base64url. */
  readonly publicKey: string;
  readonly name: string | null;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
  readonly lastContactAt: number | null;
  readonly lastLink: LinkInfo | null;
}

export interface HealthSnapshot {
  readonly seq: number;
  /** Box clock. */
  readonly ts: number;
  readonly receivedAt: number;
  readonly body: HealthPayload;
}

export interface BoxOverview extends Box {
  /** The box's current database (docs/sync.md "A box whose database is new"); null before its first ingest with one. */
  readonly dbId: string | null;
  /** How many times the box came back with a new database (each started a new series). */
  readonly databaseChanges: number;
  /** The marks of the current series. */
  readonly marks: LaneMarks;
  /** The health snapshot with the highest `seq`, or null before the first. */
  readonly latestHealth: HealthSnapshot | null;
  /** `sync.backlog` of that snapshot as the box reported it (per lane: records, bytes, age of the oldest), or null. */
  readonly backlog: unknown;
}

export interface CreateEnrolmentCode {
  /** The one-time code as given to the installer. Only its SHA-256 is stored. */
  readonly code: string;
  readonly createdAt: number;
  /** The code is usable while `at < expiresAt`. */
  readonly expiresAt: number;
  readonly label?: string;
}

export interface Enrolment {
  readonly code: string;
  readonly boxId: string;
  readonly publicKey: string;
  readonly name?: string;
  readonly at: number;
}

/**
 * `ok`: the code is now used and the box enrolled (with every lane mark at 0). Otherwise nothing changed:
 * `unknown_code`, `code_expired`, `code_used` (already consumed — by this box or another), `box_exists` (the id is
 * taken; the code stays unused).
 */
export type EnrolResult =
  | { readonly ok: true; readonly box: Box }
  | { readonly ok: false; readonly reason: 'unknown_code' | 'code_expired' | 'code_used' | 'box_exists' };

export interface ReadingsQuery {
  readonly boxId: string;
  readonly sensorId: string;
  /** Inclusive (UTC ms). For 15 m: every bucket overlapping [from, to) is answered whole. */
  readonly from?: number;
  /** Exclusive. */
  readonly to?: number;
  /** At most this many points, oldest first (default 10 000). */
  readonly limit?: number;
}

export interface RawReading {
  readonly readingId: number;
  readonly ts: number;
  readonly value: number | null;
  readonly quality: string;
  /** The record that brought it. */
  readonly seq: number;
}

/**
 * One 15-minute bucket of one sensor, over its good readings with a value. Each of the box's batches counts once: by
 * its raw readings when the hub holds them (a `readings` record of that seq), else by its partial aggregates; the
 * parts are merged by count (`mean` weighted by `count`). `source` says what went in.
 */
export interface Bucket15m {
  readonly bucket: number;
  readonly min: number;
  readonly mean: number;
  readonly max: number;
  readonly count: number;
  readonly source: 'raw' | 'aggregates' | 'mixed';
}

export interface HubAlarm {
  readonly boxId: string;
  /** The box database (series) the alarm belongs to: a box with a new database numbers its alarms from 1 again. */
  readonly dbId: string;
  /** The box's alarm id. */
  readonly alarmId: number;
  readonly key: string;
  readonly kind: string;
  readonly siteId: string | null;
  readonly sensorId: string | null;
  readonly drill: boolean;
  readonly title: string;
  readonly raisedAt: number;
  /** Folded from the transitions held, in transition-id order. */
  readonly state: 'active' | 'acknowledged' | 'cleared';
  readonly level: string | null;
  /** Shelved and not since unshelved, escalated or cleared (the record does not carry the shelve's end). */
  readonly shelved: boolean;
  readonly acknowledgedAt: number | null;
  readonly acknowledgedBy: string | null;
  readonly acknowledgedByAccount: string | null;
  readonly clearedAt: number | null;
  /** Box clock: `ts` of the newest transition held. */
  readonly updatedAt: number;
  readonly lastTransitionId: number;
  /** Hub clock: when the newest transition held arrived. */
  readonly receivedAt: number;
}

export interface HubAlarmTransition {
  readonly boxId: string;
  readonly dbId: string;
  readonly alarmId: number;
  readonly transitionId: number;
  readonly seq: number;
  readonly ts: number;
  readonly type: string;
  readonly level: string | null;
  readonly by: string | null;
  readonly account: string | null;
  readonly note: string | null;
  readonly cause: unknown;
  readonly receivedAt: number;
}

/**
 * What the hub holds of one kind for one box. `digest` is exact: `seqDigest` (hub/store/checksum.ts) of the stored
 * seqs — SHA-256, hex, over each seq in ascending order written in decimal and followed by `\n`. Two sets of seqs have
 * the same digest only if they are equal, so a test compares it with `seqDigest` of the seqs the box sent.
 */
export interface KindStats {
  readonly count: number;
  readonly seqSum: number;
  readonly minSeq: number | null;
  readonly maxSeq: number | null;
  readonly digest: string;
}

export interface BoxRecordStats {
  readonly kinds: Readonly<Record<RecordKind, KindStats>>;
  /** The exploded raw readings: `digest` is `seqDigest` of the reading ids. */
  readonly readings: { readonly count: number; readonly digest: string };
  readonly partialAggregates: number;
  readonly alarmTransitions: number;
  readonly healthSnapshots: number;
}

/** One stored record's arrival. `arrival` increases with the order records were stored for the box. */
export interface RecordArrival {
  readonly seq: number;
  readonly kind: RecordKind;
  readonly lane: Lane;
  /** Box clock. */
  readonly ts: number;
  /** Hub clock. */
  readonly receivedAt: number;
  readonly arrival: number;
}

/** The bounds of the shared replay memory (those of the in-memory guard). */
export interface NonceBounds {
  readonly maxEntries: number;
  readonly maxEntriesPerKey: number;
}

/**
 * One accepted (key id, nonce) pair to remember until `expiresAt` (UTC ms). `remembered`: it was new and is now held;
 * `seen`: already held (a replay: of two processes racing with one capture, exactly one gets `remembered`); `full`:
 * the table holds `maxEntries` pairs, or the key `maxEntriesPerKey` (nothing written).
 */
export type NonceOutcome = 'remembered' | 'seen' | 'full';

export interface HubStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** Plain SQL for the feature stores (orders, content, accounts, pull targets): see sql-port.ts. */
  readonly sql: SqlPort;

  // ---- replay memory (hub_nonces) ----
  /** In one transaction: pairs expired before `now` deleted, then the rule of NonceOutcome. */
  rememberNonce(entry: { readonly keyid: string; readonly nonce: string; readonly expiresAt: number }, now: number, bounds: NonceBounds): Promise<NonceOutcome>;

  // ---- enrolment and boxes ----
  /** Stores a one-time code (its SHA-256). Throws if that code already exists. */
  createEnrolmentCode(c: CreateEnrolmentCode): Promise<void>;
  /** Consumes the code and enrols the box in one transaction: of two racing for one code, exactly one wins. */
  enrol(e: Enrolment): Promise<EnrolResult>;
  /** Marks the box revoked (its later ingests answer `revoked`). False if unknown or already revoked. */
  revokeBox(boxId: string, at: number): Promise<boolean>;
  /** Notes a contact: `lastContactAt` only moves forward; `link` replaces the last link info. */
  recordContact(boxId: string, at: number, link: LinkInfo): Promise<void>;
  getBox(boxId: string): Promise<Box | undefined>;
  /** Every box (revoked ones too), by id, with its marks and latest health. */
  listBoxes(): Promise<BoxOverview[]>;
  /** The box's marks, or undefined for an unknown box. */
  laneMarks(boxId: string): Promise<LaneMarks | undefined>;

  // ---- the record feed ----
  /**
   * docs/sync.md's rule in ONE transaction that holds the box's lane marks locked: per lane, `after` above the mark
   * is a conflict (that lane stores nothing); otherwise records at or below the mark are skipped, the others stored
   * idempotently (and exploded into readings, partial aggregates, alarm transitions and state, health), and the
   * mark advanced to the highest seq stored in the lane (never backwards). Resolves once committed.
   *
   * Series (docs/sync.md "A box whose database is new"): the marks are those of the box's current `dbId`. An ingest
   * naming another dbId the box never used starts a new series in the same transaction (marks reset to 0, the box's
   * dbId replaced and counted); one naming a dbId the box used before is `stale_database`; without `dbId` the
   * current series is meant. A box's first dbId adopts what was stored before it had one.
   */
  ingest(boxId: string, lanes: readonly IngestLane[], dbId?: string): Promise<IngestResult>;

  // ---- queries ----
  /** Readings and buckets are by time: they span every series of the box (a new database keeps the same sensors). */
  rawReadings(q: ReadingsQuery): Promise<RawReading[]>;
  readings15m(q: ReadingsQuery): Promise<Bucket15m[]>;
  /** Alarms not cleared, across boxes: evacuate before prepare before no level, then oldest raise first. */
  activeAlarms(): Promise<HubAlarm[]>;
  /** The alarm's transitions in series `dbId` (default: the box's current one). */
  alarmTransitions(boxId: string, alarmId: number, dbId?: string): Promise<HubAlarmTransition[]>;
  /** What the hub holds of series `dbId` (default: the box's CURRENT database; seqs start again in a new one). */
  recordStats(boxId: string, dbId?: string): Promise<BoxRecordStats>;
  /** Stored records of the box's series `dbId` (default: current) in arrival order (optionally of one kind). */
  arrivals(boxId: string, kind?: RecordKind, dbId?: string): Promise<RecordArrival[]>;

  close(): Promise<void>;
}
