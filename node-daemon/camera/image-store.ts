import type { Db } from '../storage/database.js';

export type PictureCause = 'schedule' | 'alarm';
export type AlarmRole = 'before' | 'at' | 'after';

/** One picture's row (camera_images). */
export interface CameraImage {
  readonly id: number;
  readonly cameraId: string;
  readonly siteId: string;
  /** When it was taken (UTC ms). */
  readonly ts: number;
  readonly cause: PictureCause;
  readonly alarmId: number | null;
  readonly transitionId: number | null;
  /** Relative to the data folder. */
  readonly file: string;
  readonly thumbFile: string;
  readonly bytes: number;
  readonly thumbBytes: number;
}

/** A picture of an alarm, with what it is to that alarm. */
export interface AlarmImage extends CameraImage {
  readonly role: AlarmRole;
  readonly linkTransitionId: number;
}

export type NewImage = Omit<CameraImage, 'id'>;

interface Row {
  id: number;
  camera_id: string;
  site_id: string;
  ts: number;
  cause: PictureCause;
  alarm_id: number | null;
  transition_id: number | null;
  file: string;
  thumb_file: string;
  bytes: number;
  thumb_bytes: number;
}

const fromRow = (r: Row): CameraImage => ({
  id: r.id,
  cameraId: r.camera_id,
  siteId: r.site_id,
  ts: r.ts,
  cause: r.cause,
  alarmId: r.alarm_id,
  transitionId: r.transition_id,
  file: r.file,
  thumbFile: r.thumb_file,
  bytes: r.bytes,
  thumbBytes: r.thumb_bytes,
});

/** Whether a picture belongs to an alarm: taken for one, or linked to one as its "before". */
const LINKED = `(cause = 'alarm' OR EXISTS (SELECT 1 FROM camera_image_alarms l WHERE l.image_id = camera_images.id))`;

/** The camera pictures' rows in SQLite (migration 15). Every call is one short statement. */
export class ImageStore {
  private readonly insertStmt;
  private readonly linkStmt;
  private readonly bySiteStmt;
  private readonly byAlarmStmt;
  private readonly getStmt;
  private readonly latestScheduledStmt;
  private readonly expiredStmt;
  private readonly expiredOfStmt;
  private readonly allStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare<[string, string, number, PictureCause, number | null, number | null, string, string, number, number]>(
      'INSERT INTO camera_images (camera_id, site_id, ts, cause, alarm_id, transition_id, file, thumb_file, bytes, thumb_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.linkStmt = db.prepare<[number, number, number, AlarmRole]>('INSERT OR IGNORE INTO camera_image_alarms (image_id, alarm_id, transition_id, role) VALUES (?, ?, ?, ?)');
    this.bySiteStmt = db.prepare<[string, number, number], Row>('SELECT * FROM camera_images WHERE site_id = ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?');
    this.byAlarmStmt = db.prepare<[number], Row & { role: AlarmRole; link_transition_id: number }>(
      'SELECT i.*, l.role AS role, l.transition_id AS link_transition_id FROM camera_image_alarms l JOIN camera_images i ON i.id = l.image_id WHERE l.alarm_id = ? ORDER BY i.ts, i.id',
    );
    this.getStmt = db.prepare<[number], Row>('SELECT * FROM camera_images WHERE id = ?');
    this.latestScheduledStmt = db.prepare<[string], Row>("SELECT * FROM camera_images WHERE camera_id = ? AND cause = 'schedule' ORDER BY ts DESC, id DESC LIMIT 1");
    this.expiredStmt = db.prepare<[number, number], Row>(`SELECT * FROM camera_images WHERE (NOT ${LINKED} AND ts < ?) OR (${LINKED} AND ts < ?) ORDER BY ts`);
    this.expiredOfStmt = db.prepare<[string, number, number], Row>(`SELECT * FROM camera_images WHERE camera_id = ? AND ((NOT ${LINKED} AND ts < ?) OR (${LINKED} AND ts < ?)) ORDER BY ts`);
    this.allStmt = db.prepare<[], Row & { linked: number }>(`SELECT *, ${LINKED} AS linked FROM camera_images ORDER BY ts`);
    this.deleteStmt = db.prepare<[number]>('DELETE FROM camera_images WHERE id = ?');
  }

  /** Adds a picture; one taken for an alarm transition is linked to it as `role`. */
  add(image: NewImage, role?: AlarmRole): CameraImage {
    return this.db.transaction(() => {
      const id = Number(
        this.insertStmt.run(image.cameraId, image.siteId, image.ts, image.cause, image.alarmId, image.transitionId, image.file, image.thumbFile, image.bytes, image.thumbBytes).lastInsertRowid,
      );
      if (image.alarmId !== null && image.transitionId !== null) this.linkStmt.run(id, image.alarmId, image.transitionId, role ?? 'at');
      return { id, ...image };
    })();
  }

  link(imageId: number, alarmId: number, transitionId: number, role: AlarmRole): void {
    this.linkStmt.run(imageId, alarmId, transitionId, role);
  }

  /** A site's pictures, newest first, taken before `before`. */
  ofSite(siteId: string, limit: number, before = Number.MAX_SAFE_INTEGER): CameraImage[] {
    return this.bySiteStmt.all(siteId, before, limit).map(fromRow);
  }

  ofAlarm(alarmId: number): AlarmImage[] {
    return this.byAlarmStmt.all(alarmId).map((r) => ({ ...fromRow(r), role: r.role, linkTransitionId: r.link_transition_id }));
  }

  get(id: number): CameraImage | undefined {
    const r = this.getStmt.get(id);
    return r === undefined ? undefined : fromRow(r);
  }

  latestScheduled(cameraId: string): CameraImage | undefined {
    const r = this.latestScheduledStmt.get(cameraId);
    return r === undefined ? undefined : fromRow(r);
  }

  /** Pictures past their keeping: scheduled ones taken before `scheduleCutoff`, an alarm's before `alarmCutoff`. */
  expired(scheduleCutoff: number, alarmCutoff: number, cameraId?: string): CameraImage[] {
    const rows = cameraId === undefined ? this.expiredStmt.all(scheduleCutoff, alarmCutoff) : this.expiredOfStmt.all(cameraId, scheduleCutoff, alarmCutoff);
    return rows.map(fromRow);
  }

  /** Every picture, oldest first, and whether it belongs to an alarm (for the media quota). */
  all(): (CameraImage & { readonly linked: boolean })[] {
    return this.allStmt.all().map((r) => ({ ...fromRow(r), linked: r.linked === 1 }));
  }

  /** Deletes the row (and its alarm links); the caller removes the files. */
  delete(id: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM camera_image_alarms WHERE image_id = ?').run(id);
      return this.deleteStmt.run(id).changes > 0;
    })();
  }
}
