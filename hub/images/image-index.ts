import type { ImageAlarmLink } from '../../node-daemon/sync/protocol/image-wire.js';
import type { Param, SqlPort, SqlRow, SqlStatement } from '../store/sql-port.js';

/** One camera picture of a box the hub holds (hub_box_images, migration.ts). */
export interface HeldImage {
  readonly dbId: string;
  readonly id: number;
  readonly cameraId: string;
  readonly siteId: string;
  /** When it was taken (UTC ms, box clock). */
  readonly ts: number;
  readonly cause: 'schedule' | 'alarm';
  readonly thumbBytes: number;
  readonly fullSize: number;
  readonly fullSha256: string;
  /** When the full image arrived whole and verified (hub clock); null until then. */
  readonly fullReceivedAt: number | null;
  /** When it was first announced (hub clock). */
  readonly receivedAt: number;
}

export interface ListedImage extends HeldImage {
  readonly alarms: readonly ImageAlarmLink[];
}

export interface ImageQuery {
  readonly site?: string;
  readonly alarm?: number;
  /** Only pictures of this box database (the alarm ids of `alarm` are per database). */
  readonly dbId?: string;
  /** Only pictures taken before this (UTC ms, exclusive). */
  readonly before?: number;
  readonly limit: number;
}

/** The key of a picture at the hub. */
export interface ImageKey {
  readonly box: string;
  readonly dbId: string;
  readonly id: number;
}

const COLUMNS = 'db_id, image_id, camera_id, site_id, ts, cause, thumb_bytes, full_size, full_sha256, full_received_at, received_at';

function toHeld(r: SqlRow): HeldImage {
  return {
    dbId: String(r.db_id),
    id: Number(r.image_id),
    cameraId: String(r.camera_id),
    siteId: String(r.site_id),
    ts: Number(r.ts),
    cause: r.cause === 'alarm' ? 'alarm' : 'schedule',
    thumbBytes: Number(r.thumb_bytes),
    fullSize: Number(r.full_size),
    fullSha256: String(r.full_sha256),
    fullReceivedAt: r.full_received_at === null || r.full_received_at === undefined ? null : Number(r.full_received_at),
    receivedAt: Number(r.received_at),
  };
}

/** A picture as announced, to keep. */
export type ImageRow = Pick<HeldImage, 'cameraId' | 'siteId' | 'ts' | 'cause' | 'thumbBytes' | 'fullSize' | 'fullSha256'> & { readonly alarms: readonly ImageAlarmLink[] };

/** The index of held pictures, through the plain-SQL port (same statements on SQLite and PostgreSQL). */
export class HubImageIndex {
  constructor(private readonly sql: SqlPort) {}

  async get(k: ImageKey): Promise<HeldImage | undefined> {
    const rows = await this.sql.all(`SELECT ${COLUMNS} FROM hub_box_images WHERE box_id = $1 AND db_id = $2 AND image_id = $3`, [k.box, k.dbId, k.id]);
    return rows[0] === undefined ? undefined : toHeld(rows[0]);
  }

  /**
   * Keeps an announced picture and its alarm links (links only grow). A picture held already keeps its row, except
   * that another full sha256 or size restarts its full image (`full_received_at` back to NULL).
   */
  async put(k: ImageKey, img: ImageRow, now: number): Promise<void> {
    const statements: SqlStatement[] = [
      {
        sql: `INSERT INTO hub_box_images (box_id, ${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)
          ON CONFLICT (box_id, db_id, image_id) DO UPDATE SET full_size = excluded.full_size, full_sha256 = excluded.full_sha256,
            full_received_at = NULL, thumb_bytes = excluded.thumb_bytes
          WHERE hub_box_images.full_sha256 <> excluded.full_sha256 OR hub_box_images.full_size <> excluded.full_size`,
        args: [k.box, k.dbId, k.id, img.cameraId, img.siteId, img.ts, img.cause, img.thumbBytes, img.fullSize, img.fullSha256, now],
      },
      ...img.alarms.map((a) => ({
        sql: `INSERT INTO hub_box_image_alarms (box_id, db_id, image_id, alarm_id, transition_id, role) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (box_id, db_id, image_id, alarm_id, transition_id) DO NOTHING`,
        args: [k.box, k.dbId, k.id, a.alarmId, a.transitionId, a.role],
      })),
    ];
    await this.sql.batch(statements);
  }

  async markFullReceived(k: ImageKey, now: number): Promise<void> {
    await this.sql.run('UPDATE hub_box_images SET full_received_at = $4 WHERE box_id = $1 AND db_id = $2 AND image_id = $3', [k.box, k.dbId, k.id, now]);
  }

  /** The box's pictures, newest (by when taken) first, each with its alarm links. */
  async list(box: string, q: ImageQuery): Promise<ListedImage[]> {
    const where = ['i.box_id = $1'];
    const args: Param[] = [box];
    const arg = (v: Param): string => {
      args.push(v);
      return `$${args.length}`;
    };
    if (q.site !== undefined) where.push(`i.site_id = ${arg(q.site)}`);
    if (q.dbId !== undefined) where.push(`i.db_id = ${arg(q.dbId)}`);
    if (q.before !== undefined) where.push(`i.ts < ${arg(q.before)}`);
    if (q.alarm !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM hub_box_image_alarms a WHERE a.box_id = i.box_id AND a.db_id = i.db_id AND a.image_id = i.image_id AND a.alarm_id = ${arg(q.alarm)})`);
    }
    const rows = await this.sql.all(
      `SELECT ${COLUMNS.split(', ').map((c) => `i.${c}`).join(', ')} FROM hub_box_images i WHERE ${where.join(' AND ')}
       ORDER BY i.ts DESC, i.db_id DESC, i.image_id DESC LIMIT ${arg(q.limit)}`,
      args,
    );
    const images = rows.map(toHeld);
    if (images.length === 0) return [];
    const linkArgs: Param[] = [box];
    const keys = images.map((i) => {
      linkArgs.push(i.dbId, i.id);
      return `(db_id = $${linkArgs.length - 1} AND image_id = $${linkArgs.length})`;
    });
    const links = await this.sql.all(
      `SELECT db_id, image_id, alarm_id, transition_id, role FROM hub_box_image_alarms WHERE box_id = $1 AND (${keys.join(' OR ')})
       ORDER BY alarm_id, transition_id`,
      linkArgs,
    );
    const byImage = new Map<string, ImageAlarmLink[]>();
    for (const l of links) {
      const key = `${String(l.db_id)}/${Number(l.image_id)}`;
      const list = byImage.get(key) ?? [];
      list.push({ alarmId: Number(l.alarm_id), transitionId: Number(l.transition_id), role: String(l.role) as ImageAlarmLink['role'] });
      byImage.set(key, list);
    }
    return images.map((i) => ({ ...i, alarms: byImage.get(`${i.dbId}/${i.id}`) ?? [] }));
  }

  /** Pictures (any box) that arrived before `cutoff` (hub clock), at most `limit`. */
  async arrivedBefore(cutoff: number, limit: number): Promise<ImageKey[]> {
    const rows = await this.sql.all('SELECT box_id, db_id, image_id FROM hub_box_images WHERE received_at < $1 ORDER BY received_at LIMIT $2', [cutoff, limit]);
    return rows.map((r) => ({ box: String(r.box_id), dbId: String(r.db_id), id: Number(r.image_id) }));
  }

  async remove(k: ImageKey): Promise<void> {
    await this.sql.batch([
      { sql: 'DELETE FROM hub_box_image_alarms WHERE box_id = $1 AND db_id = $2 AND image_id = $3', args: [k.box, k.dbId, k.id] },
      { sql: 'DELETE FROM hub_box_images WHERE box_id = $1 AND db_id = $2 AND image_id = $3', args: [k.box, k.dbId, k.id] },
    ]);
  }
}
