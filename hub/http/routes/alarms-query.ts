import { toHubAlarm } from '../../store/queries.js';
import type { SqlPort } from '../../store/sql-port.js';
import type { HubAlarm } from '../../store/types.js';

/**
 * The alarms across boxes for GET /api/v1/alarms and the CAP routes: plain SQL on hub_alarms (the store's derived
 * alarm state) through the port, the same text on both back ends.
 */

const COLUMNS = `box_id, db_id, alarm_id, key, kind, site_id, sensor_id, drill, title, raised_at, state, level, shelved,
  acknowledged_at, acknowledged_by, acknowledged_by_account, cleared_at, updated_at, last_transition_id, received_at`;

/** `$1` state (`active`: not cleared; `all`), `$2` box ('' any), `$3` from, `$4` to, `$5` limit. */
const FILTER = `WHERE ($1 = 'all' OR state <> 'cleared') AND ($2 = '' OR box_id = $2)
  AND raised_at < $4 AND (cleared_at IS NULL OR cleared_at >= $3)`;

/** Active ones as the store orders them (evacuate, prepare, no level; oldest raise first); all ones newest first. */
const LIST_ACTIVE = `SELECT ${COLUMNS} FROM hub_alarms ${FILTER}
  ORDER BY CASE level WHEN 'evacuate' THEN 0 WHEN 'prepare' THEN 1 ELSE 2 END, raised_at, box_id, alarm_id LIMIT $5`;
const LIST_ALL = `SELECT ${COLUMNS} FROM hub_alarms ${FILTER} ORDER BY raised_at DESC, box_id, alarm_id LIMIT $5`;

const ONE = `SELECT ${COLUMNS} FROM hub_alarms WHERE box_id = $1 AND alarm_id = $2
  AND db_id = COALESCE($3, (SELECT COALESCE(db_id, '') FROM hub_boxes WHERE id = $1), '')`;

const BOX_NAMES = `SELECT id, name FROM hub_boxes`;

export interface AlarmFilter {
  readonly state: 'active' | 'all';
  readonly box?: string;
  /** Alarms not cleared before this (UTC ms)… */
  readonly from: number;
  /** …and raised before this: every alarm that was on at some time in [from, to). */
  readonly to: number;
  readonly limit: number;
}

export async function listAlarms(sql: SqlPort, f: AlarmFilter): Promise<HubAlarm[]> {
  const rows = await sql.all(f.state === 'active' ? LIST_ACTIVE : LIST_ALL, [f.state, f.box ?? '', f.from, f.to, f.limit]);
  return rows.map(toHubAlarm);
}

/** One alarm of the box's series `dbId` (default: its current database). */
export async function findAlarm(sql: SqlPort, boxId: string, alarmId: number, dbId?: string): Promise<HubAlarm | undefined> {
  const rows = await sql.all(ONE, [boxId, alarmId, dbId ?? null]);
  return rows[0] === undefined ? undefined : toHubAlarm(rows[0]);
}

/** Every box's display name (null when it gave none), by id. */
export async function boxNames(sql: SqlPort): Promise<Map<string, string | null>> {
  const rows = await sql.all(BOX_NAMES);
  return new Map(rows.map((r) => [String(r['id']), r['name'] === null || r['name'] === undefined ? null : String(r['name'])]));
}
