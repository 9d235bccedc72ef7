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

/** A picture the county hub is owed something of (sync/image-upload; migration 17). */
export interface HubOwedImage extends CameraImage {
  /** Taken for an alarm or linked to one as its "before". */
  readonly linked: boolean;
  /** Its alarm links now. */
  readonly links: number;
  /** Its alarm links when the hub last acknowledged its announcement; null: never announced. */
  readonly hubLinks: number | null;
}

/** One alarm link of a picture, as the announcement carries it. */
export interface ImageLink {
  readonly alarmId: number;
  readonly transitionId: number;
  readonly role: AlarmRole;
}

/** What the hub is owed in all: announcements (with thumbnails), and full images as `full` asks. */
export interface HubOwedCount {
  readonly thumbs: number;
  readonly full: number;
  readonly fullBytes: number;
}

/** Which full images the hub gets (`sync.images.full`). */
export type FullImagePolicy = 'all' | 'alarm' | 'none';

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

interface OwedRow extends Row {
  n: number;
  linked: number;
  hub_links: number | null;
}

const fromOwedRow = (r: OwedRow): HubOwedImage => ({ ...fromRow(r), linked: r.linked === 1, links: r.n, hubLinks: r.hub_links });

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

/** Pictures that go to the hub, with their link count `n` and `linked`. */
const WITH_LINKS = `(SELECT camera_images.*, (SELECT count(*) FROM camera_image_alarms l WHERE l.image_id = camera_images.id) AS n FROM camera_images WHERE hub_refused IS NULL)`;
const OWED_SELECT = `SELECT *, (cause = 'alarm' OR n > 0) AS linked FROM ${WITH_LINKS}`;
const ANNOUNCE_OWED = '(hub_links IS NULL OR hub_links < n)';
const FULL_OWED = 'hub_full_at IS NULL';
/** The hub's order: an alarm's pictures first, newest first within each group. */
const HUB_ORDER = 'ORDER BY linked DESC, ts DESC, id DESC';

/** The camera pictures' rows in SQLite (migrations 15 and 17). Every call is one short statement. */
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
  private readonly toAnnounceStmt;
  private readonly fullOwedStmt;
  private readonly fullOwedAlarmStmt;
  private readonly owedCountStmt;
  private readonly linksStmt;
  private readonly announcedStmt;
  private readonly fullDoneStmt;
  private readonly refusedStmt;
  private readonly forgetStmt;

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
    this.toAnnounceStmt = db.prepare<[number], OwedRow>(`${OWED_SELECT} WHERE ${ANNOUNCE_OWED} ${HUB_ORDER} LIMIT ?`);
    this.fullOwedStmt = db.prepare<[number], OwedRow>(`${OWED_SELECT} WHERE hub_links IS NOT NULL AND ${FULL_OWED} ${HUB_ORDER} LIMIT ?`);
    this.fullOwedAlarmStmt = db.prepare<[number], OwedRow>(`SELECT * FROM (${OWED_SELECT}) WHERE linked AND hub_links IS NOT NULL AND ${FULL_OWED} ${HUB_ORDER} LIMIT ?`);
    this.owedCountStmt = db.prepare<[{ all: number }], { thumbs: number | null; full: number | null; full_bytes: number | null }>(
      `SELECT sum(${ANNOUNCE_OWED}) AS thumbs, sum(${FULL_OWED} AND (linked OR @all)) AS full, sum(CASE WHEN ${FULL_OWED} AND (linked OR @all) THEN bytes ELSE 0 END) AS full_bytes FROM (${OWED_SELECT})`,
    );
    this.linksStmt = db.prepare<[number], { alarm_id: number; transition_id: number; role: AlarmRole }>(
      'SELECT alarm_id, transition_id, role FROM camera_image_alarms WHERE image_id = ? ORDER BY transition_id, role',
    );
    this.announcedStmt = db.prepare<[number, number | null, number]>('UPDATE camera_images SET hub_links = ?, hub_full_at = coalesce(hub_full_at, ?) WHERE id = ?');
    this.fullDoneStmt = db.prepare<[number, number]>('UPDATE camera_images SET hub_full_at = ? WHERE id = ?');
    this.refusedStmt = db.prepare<[string, number]>('UPDATE camera_images SET hub_refused = ? WHERE id = ?');
    this.forgetStmt = db.prepare<[number]>('UPDATE camera_images SET hub_links = NULL, hub_full_at = NULL WHERE id = ?');
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

  // ---- what the county hub holds (sync/image-upload) ----

  /** Pictures to announce to the hub (never announced, or with more alarm links now), in the hub's order. */
  toAnnounce(limit: number): HubOwedImage[] {
    return this.toAnnounceStmt.all(limit).map(fromOwedRow);
  }

  /** Announced pictures whose full image the hub does not hold complete, in the hub's order. */
  fullOwed(policy: FullImagePolicy, limit: number): HubOwedImage[] {
    if (policy === 'none') return [];
    return (policy === 'alarm' ? this.fullOwedAlarmStmt : this.fullOwedStmt).all(limit).map(fromOwedRow);
  }

  /** How much the hub is owed: announcements, and full images (announced or not) as `policy` asks. */
  hubOwed(policy: FullImagePolicy): HubOwedCount {
    const r = this.owedCountStmt.get({ all: policy === 'all' ? 1 : 0 });
    const thumbs = r?.thumbs ?? 0;
    if (policy === 'none') return { thumbs, full: 0, fullBytes: 0 };
    return { thumbs, full: r?.full ?? 0, fullBytes: r?.full_bytes ?? 0 };
  }

  /** A picture's alarm links. */
  linksOf(id: number): ImageLink[] {
    return this.linksStmt.all(id).map((r) => ({ alarmId: r.alarm_id, transitionId: r.transition_id, role: r.role }));
  }

  /** The hub acknowledged the announcement made with `links` alarm links (and, when `fullCompleteAt`, holds the full image). */
  markAnnounced(id: number, links: number, fullCompleteAt?: number): void {
    this.announcedStmt.run(links, fullCompleteAt ?? null, id);
  }

  markFullDone(id: number, at: number): void {
    this.fullDoneStmt.run(at, id);
  }

  /** The box will not send this picture (`why`): it is owed nothing more. */
  markHubRefused(id: number, why: string): void {
    this.refusedStmt.run(why, id);
  }

  /** The hub has no announcement of this picture (pruned there): announced again, full image included. */
  forgetAtHub(id: number): void {
    this.forgetStmt.run(id);
  }

  /** Deletes the row (and its alarm links); the caller removes the files. */
  delete(id: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM camera_image_alarms WHERE image_id = ?').run(id);
      return this.deleteStmt.run(id).changes > 0;
    })();
  }
}
