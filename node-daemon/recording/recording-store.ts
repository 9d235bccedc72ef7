/**
 * The recorder's storage port on the box's SQLite database (table `recordings`, migration.ts). A change the county
 * hears of (started, finished, failed, deleted, pinned or unpinned: recording-record.ts) is written to change_log as a
 * `recording` record in the same transaction as the row (docs/sync.md).
 */
import type { ProbedStream, RecordingInfo, RecordingStore } from '../../broadcast/recording/recording-types.js';
import type { JobOrigin, RecordingGap } from '../../broadcast/recording/types.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database.js';
import { recordingChangeToLog, recordingPayload } from './recording-record.js';

export interface RecordingStoreOptions {
  /** The channel's name in the config, for the county-sync record (null there when undefined). */
  readonly channelName?: (channelId: string) => string | undefined;
  /** The change-log time (UTC ms; default Date.now). */
  readonly clock?: () => number;
}

interface Row {
  id: string;
  channel_id: string;
  title: string;
  origin: JobOrigin;
  planned_start: number;
  planned_end: number;
  actual_start: number | null;
  actual_end: number | null;
  state: RecordingInfo['state'];
  bytes: number;
  segments: number;
  gaps_json: string;
  pinned: number;
  browser_path: string | null;
  browser_bytes: number | null;
  duration_s: number | null;
  streams_json: string | null;
  damaged_packets: number;
  last_error: string | null;
  updated_at: number;
}

/** RecordingInfo field → column, for updates. */
const COLUMNS: Readonly<Record<Exclude<keyof RecordingInfo, 'id'>, keyof Row>> = {
  channelId: 'channel_id',
  title: 'title',
  origin: 'origin',
  plannedStart: 'planned_start',
  plannedEnd: 'planned_end',
  actualStart: 'actual_start',
  actualEnd: 'actual_end',
  state: 'state',
  bytes: 'bytes',
  segments: 'segments',
  gaps: 'gaps_json',
  pinned: 'pinned',
  browserPath: 'browser_path',
  browserBytes: 'browser_bytes',
  durationS: 'duration_s',
  streams: 'streams_json',
  damagedPackets: 'damaged_packets',
  lastError: 'last_error',
  updatedAt: 'updated_at',
};

function toColumn(key: Exclude<keyof RecordingInfo, 'id'>, value: unknown): unknown {
  if (key === 'gaps') return JSON.stringify(value ?? []);
  if (key === 'streams') return value === null || value === undefined ? null : JSON.stringify(value);
  if (key === 'pinned') return value === true ? 1 : 0;
  return value;
}

function fromRow(r: Row): RecordingInfo {
  return {
    id: r.id,
    channelId: r.channel_id,
    title: r.title,
    origin: r.origin,
    plannedStart: r.planned_start,
    plannedEnd: r.planned_end,
    actualStart: r.actual_start,
    actualEnd: r.actual_end,
    state: r.state,
    bytes: r.bytes,
    segments: r.segments,
    gaps: JSON.parse(r.gaps_json) as RecordingGap[],
    pinned: r.pinned === 1,
    browserPath: r.browser_path,
    browserBytes: r.browser_bytes,
    durationS: r.duration_s,
    streams: r.streams_json === null ? null : (JSON.parse(r.streams_json) as ProbedStream[]),
    damagedPackets: r.damaged_packets,
    lastError: r.last_error,
    updatedAt: r.updated_at,
  };
}

export class SqliteRecordingStore implements RecordingStore {
  /** Prepared once per SQL text: a recording in progress updates its row every few seconds for hours. */
  private readonly statements = new Map<string, Statement<unknown[]>>();

  constructor(
    private readonly db: Db,
    private readonly opts: RecordingStoreOptions = {},
  ) {}

  private stmt(sql: string): Statement<unknown[]> {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get(id: string): RecordingInfo | undefined {
    const row = this.stmt('SELECT * FROM recordings WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  list(): RecordingInfo[] {
    return this.db.prepare<[], Row>('SELECT * FROM recordings ORDER BY planned_start DESC, id').all().map(fromRow);
  }

  insert(r: RecordingInfo): void {
    const keys = Object.keys(COLUMNS) as Exclude<keyof RecordingInfo, 'id'>[];
    const cols = ['id', ...keys.map((k) => COLUMNS[k])];
    this.db.transaction(() => {
      this.stmt(`INSERT INTO recordings (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
        .run(r.id, ...keys.map((k) => toColumn(k, r[k])));
      this.logChange(undefined, this.get(r.id));
    })();
  }

  update(id: string, patch: Partial<Omit<RecordingInfo, 'id'>>): void {
    const keys = (Object.keys(patch) as (keyof typeof patch)[]).filter((k) => k in COLUMNS && patch[k] !== undefined);
    if (keys.length === 0) return;
    this.db.transaction(() => {
      const before = this.get(id);
      this.stmt(`UPDATE recordings SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(', ')} WHERE id = ?`)
        .run(...keys.map((k) => toColumn(k, patch[k])), id);
      this.logChange(before, this.get(id));
    })();
  }

  remove(id: string): void {
    this.db.transaction(() => {
      const before = this.get(id);
      this.stmt('DELETE FROM recordings WHERE id = ?').run(id);
      this.logChange(before, undefined);
    })();
  }

  /** The county-sync record of a change that matters (recording-record.ts); inside the caller's transaction. */
  private logChange(before: RecordingInfo | undefined, after: RecordingInfo | undefined): void {
    const state = recordingChangeToLog(before, after);
    const r = after ?? before;
    if (state === undefined || r === undefined) return;
    const payload = recordingPayload(r, this.opts.channelName?.(r.channelId), state);
    this.stmt("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'recording', ?)").run((this.opts.clock ?? Date.now)(), JSON.stringify(payload));
  }
}
