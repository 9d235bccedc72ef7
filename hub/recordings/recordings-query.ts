import type { RecordingPayload } from '../../node-daemon/sync/protocol/records-schema.js';
import type { SqlPort, SqlRow } from '../store/sql-port.js';

/**
 * A box's recordings list as the hub holds it (table hub_recordings, hub/recordings/recordings-migration.ts): the
 * latest `recording` record of each recording of the box's current database, written by the ingest (push or pull).
 */

/** One recording: the payload of its newest record as the box sent it, and when that record was made and arrived. */
export type HubRecording = RecordingPayload & {
  readonly sync: {
    /** The record's seq (the box's change log). */
    readonly seq: number;
    /** Box clock: when the box committed the change. */
    readonly ts: number;
    /** Hub clock: when the record arrived. */
    readonly receivedAt: number;
  };
};

export interface BoxRecordings {
  /** The box's current database ('' before it named one): the series listed. */
  readonly dbId: string;
  /** Newest planned start first, then by id. */
  readonly recordings: HubRecording[];
}

export interface RecordingsQuery {
  readonly boxId: string;
  /** Only recordings in this state (`recording`, `finished`, `failed`, `deleted`, …). */
  readonly state?: string;
  readonly limit: number;
}

const BOX_DB = 'SELECT db_id FROM hub_boxes WHERE id = $1';
const COLUMNS = 'seq, ts, received_at, payload';
const ALL = `SELECT ${COLUMNS} FROM hub_recordings WHERE box_id = $1 AND db_id = $2
  ORDER BY planned_start DESC, recording_id LIMIT $3`;
const OF_STATE = `SELECT ${COLUMNS} FROM hub_recordings WHERE box_id = $1 AND db_id = $2 AND state = $4
  ORDER BY planned_start DESC, recording_id LIMIT $3`;

/** The recordings of the box's current database, or undefined when the hub has no such box. */
export async function boxRecordings(sql: SqlPort, q: RecordingsQuery): Promise<BoxRecordings | undefined> {
  const box = (await sql.all(BOX_DB, [q.boxId]))[0];
  if (box === undefined) return undefined;
  const dbId = box['db_id'] === null || box['db_id'] === undefined ? '' : String(box['db_id']);
  const rows = q.state === undefined ? await sql.all(ALL, [q.boxId, dbId, q.limit]) : await sql.all(OF_STATE, [q.boxId, dbId, q.limit, q.state]);
  return { dbId, recordings: rows.map(toRecording) };
}

function toRecording(r: SqlRow): HubRecording {
  // The payload passed the protocol's schema at ingest and is stored as sent.
  const payload = JSON.parse(String(r['payload'])) as RecordingPayload;
  return { ...payload, sync: { seq: Number(r['seq']), ts: Number(r['ts']), receivedAt: Number(r['received_at']) } };
}
