import type { SqlPort } from '../../store/sql-port.js';
import { RECORD_KINDS, type RecordKind } from '../../store/types.js';

const COUNTS = `SELECT kind, COUNT(*) AS n, MAX(seq) AS max_seq, MAX(received_at) AS last_received_at
  FROM hub_records WHERE box_id = $1 AND db_id = $2 GROUP BY kind`;

export interface KindCount {
  readonly count: number;
  readonly maxSeq: number | null;
  /** Hub clock: when the newest record of the kind arrived. */
  readonly lastReceivedAt: number | null;
}

/** Records held per kind in the box's series `dbId`: one indexed GROUP BY (recordStats' digests read every seq). */
export async function recordCounts(sql: SqlPort, boxId: string, dbId: string): Promise<Record<RecordKind, KindCount>> {
  const out = Object.fromEntries(RECORD_KINDS.map((k) => [k, { count: 0, maxSeq: null, lastReceivedAt: null }])) as Record<RecordKind, KindCount>;
  for (const r of await sql.all(COUNTS, [boxId, dbId])) {
    const kind = String(r['kind']) as RecordKind;
    if (!(RECORD_KINDS as readonly string[]).includes(kind)) continue;
    out[kind] = { count: Number(r['n']), maxSeq: r['max_seq'] === null ? null : Number(r['max_seq']), lastReceivedAt: r['last_received_at'] === null ? null : Number(r['last_received_at']) };
  }
  return out;
}
