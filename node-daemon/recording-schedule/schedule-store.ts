/**
 * The recording schedule in SQLite (migration 11, migration.ts): operators' entries, cancelled jobs, the last good
 * XMLTV guide with the last attempt's error, and the conflicts planning found.
 */
import type { Weekday } from '../../broadcast/recording/schedule/local-time.js';
import type { Conflict, PlannedJob, ScheduleEntry } from '../../broadcast/recording/schedule/schedule-types.js';
import type { Db } from '../storage/database.js';

/** An entry as stored: who asked and when. */
export type StoredEntry = ScheduleEntry & { readonly createdAt: number; readonly account?: string };

export interface GuideFailure {
  readonly at: number;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export interface StoredGuide {
  /** The source of the kept guide (`file:/…` or the URL); undefined before any guide was read. */
  readonly source?: string;
  readonly xml?: string;
  readonly sha256?: string;
  readonly loadedAt?: number;
  readonly programmes?: number;
  readonly attemptedAt?: number;
  /** The last attempt's failure; absent when it succeeded. */
  readonly error?: GuideFailure;
}

export interface StoredConflict extends Conflict {
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
}

interface EntryRow {
  id: string;
  kind: 'once' | 'weekly' | 'now';
  channel_id: string;
  title: string;
  start_at: number | null;
  end_at: number | null;
  days: string | null;
  start_local: string | null;
  end_local: string | null;
  created_at: number;
  account: string | null;
}

interface GuideRow {
  source: string | null;
  xml: string | null;
  sha256: string | null;
  loaded_at: number | null;
  programmes: number | null;
  attempted_at: number | null;
  error_json: string | null;
}

interface ConflictRow {
  id: string;
  source_key: string;
  kept_json: string;
  dropped_json: string;
  overlap_from: number;
  overlap_to: number;
  first_seen_at: number;
  last_seen_at: number;
}

/** One-off and record-now entries are kept this long after they ended (planning looks back a day). */
const ENTRY_KEEP_MS = 2 * 24 * 3_600_000;
/** Conflicts are kept as a record this long after they were over. */
const CONFLICT_KEEP_MS = 30 * 24 * 3_600_000;

function entryOf(r: EntryRow): StoredEntry {
  const common = { id: r.id, channelId: r.channel_id, title: r.title, createdAt: r.created_at, ...(r.account === null ? {} : { account: r.account }) };
  if (r.kind === 'weekly') return { ...common, kind: 'weekly', days: JSON.parse(r.days ?? '[]') as Weekday[], start: r.start_local ?? '', end: r.end_local ?? '' };
  return { ...common, kind: r.kind, startAt: r.start_at ?? 0, endAt: r.end_at ?? 0 };
}

export class ScheduleStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      entries: db.prepare<[], EntryRow>('SELECT * FROM recording_schedule_entries ORDER BY created_at, id'),
      insertEntry: db.prepare(
        `INSERT INTO recording_schedule_entries (id, kind, channel_id, title, start_at, end_at, days, start_local, end_local, created_at, account)
         VALUES (@id, @kind, @channelId, @title, @startAt, @endAt, @days, @startLocal, @endLocal, @createdAt, @account)`,
      ),
      deleteEntry: db.prepare<[string]>('DELETE FROM recording_schedule_entries WHERE id = ?'),
      pruneEntries: db.prepare<[number]>("DELETE FROM recording_schedule_entries WHERE kind <> 'weekly' AND end_at < ?"),
      skips: db.prepare<[number], { job_id: string }>('SELECT job_id FROM recording_schedule_skips WHERE until > ?'),
      insertSkip: db.prepare<[string, number, number, string | null]>(
        'INSERT INTO recording_schedule_skips (job_id, until, created_at, account) VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING',
      ),
      pruneSkips: db.prepare<[number]>('DELETE FROM recording_schedule_skips WHERE until < ?'),
      guide: db.prepare<[], GuideRow>('SELECT * FROM recording_guide WHERE id = 1'),
      saveGuide: db.prepare(
        `INSERT INTO recording_guide (id, source, xml, sha256, loaded_at, programmes, attempted_at, error_json)
         VALUES (1, @source, @xml, @sha256, @at, @programmes, @at, NULL)
         ON CONFLICT (id) DO UPDATE SET source = excluded.source, xml = excluded.xml, sha256 = excluded.sha256,
           loaded_at = excluded.loaded_at, programmes = excluded.programmes, attempted_at = excluded.attempted_at, error_json = NULL`,
      ),
      guideUnchanged: db.prepare<[number]>('UPDATE recording_guide SET attempted_at = ?, error_json = NULL WHERE id = 1'),
      guideFailed: db.prepare<[number, string]>(
        `INSERT INTO recording_guide (id, attempted_at, error_json) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET attempted_at = excluded.attempted_at, error_json = excluded.error_json`,
      ),
      upsertConflict: db.prepare(
        `INSERT INTO recording_conflicts (id, source_key, kept_json, dropped_json, overlap_from, overlap_to, first_seen_at, last_seen_at)
         VALUES (@id, @sourceKey, @kept, @dropped, @from, @to, @now, @now)
         ON CONFLICT (id) DO UPDATE SET kept_json = excluded.kept_json, dropped_json = excluded.dropped_json,
           overlap_from = excluded.overlap_from, overlap_to = excluded.overlap_to, last_seen_at = excluded.last_seen_at`,
      ),
      conflictsSince: db.prepare<[number], ConflictRow>('SELECT * FROM recording_conflicts WHERE overlap_to >= ? ORDER BY overlap_from, id'),
      pruneConflicts: db.prepare<[number]>('DELETE FROM recording_conflicts WHERE overlap_to < ?'),
    };
  }

  entries(): StoredEntry[] {
    return this.s.entries.all().map(entryOf);
  }

  addEntry(entry: ScheduleEntry, createdAt: number, account: string | undefined): StoredEntry {
    const weekly = entry.kind === 'weekly';
    this.s.insertEntry.run({
      id: entry.id,
      kind: entry.kind,
      channelId: entry.channelId,
      title: entry.title,
      startAt: weekly ? null : entry.startAt,
      endAt: weekly ? null : entry.endAt,
      days: weekly ? JSON.stringify(entry.days) : null,
      startLocal: weekly ? entry.start : null,
      endLocal: weekly ? entry.end : null,
      createdAt,
      account: account ?? null,
    });
    return { ...entry, createdAt, ...(account === undefined ? {} : { account }) };
  }

  /** False when there was no such entry. */
  deleteEntry(id: string): boolean {
    return this.s.deleteEntry.run(id).changes > 0;
  }

  /** Cancels one job (or wish) until `until`, after which its id cannot come back anyway. */
  skip(jobId: string, until: number, now: number, account: string | undefined): void {
    this.s.insertSkip.run(jobId, until, now, account ?? null);
  }

  skips(now: number): Set<string> {
    return new Set(this.s.skips.all(now).map((r) => r.job_id));
  }

  guide(): StoredGuide | undefined {
    const r = this.s.guide.get();
    if (r === undefined) return undefined;
    return {
      ...(r.source === null ? {} : { source: r.source }),
      ...(r.xml === null ? {} : { xml: r.xml }),
      ...(r.sha256 === null ? {} : { sha256: r.sha256 }),
      ...(r.loaded_at === null ? {} : { loadedAt: r.loaded_at }),
      ...(r.programmes === null ? {} : { programmes: r.programmes }),
      ...(r.attempted_at === null ? {} : { attemptedAt: r.attempted_at }),
      ...(r.error_json === null ? {} : { error: JSON.parse(r.error_json) as GuideFailure }),
    };
  }

  saveGuide(g: { source: string; xml: string; sha256: string; programmes: number }, at: number): void {
    this.s.saveGuide.run({ ...g, at });
  }

  /** The source answered with the guide already kept: only the attempt is noted (and any old error cleared). */
  guideUnchanged(at: number): void {
    this.s.guideUnchanged.run(at);
  }

  /** The attempt failed: the kept guide stays, the failure is noted. */
  guideFailed(failure: GuideFailure): void {
    this.s.guideFailed.run(failure.at, JSON.stringify(failure));
  }

  noteConflicts(conflicts: readonly Conflict[], now: number): void {
    this.db.transaction(() => {
      for (const c of conflicts) {
        this.s.upsertConflict.run({ id: c.id, sourceKey: c.sourceKey, kept: JSON.stringify(c.kept), dropped: JSON.stringify(c.dropped), from: c.from, to: c.to, now });
      }
    })();
  }

  /** Conflicts whose overlap ends at or after `since`, by start. */
  conflicts(since: number): StoredConflict[] {
    return this.s.conflictsSince.all(since).map((r) => ({
      id: r.id,
      sourceKey: r.source_key,
      kept: JSON.parse(r.kept_json) as PlannedJob,
      dropped: JSON.parse(r.dropped_json) as PlannedJob,
      from: r.overlap_from,
      to: r.overlap_to,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
    }));
  }

  /** Forgets what is long over: ended one-off entries, expired skips, old conflicts. */
  prune(now: number): void {
    this.db.transaction(() => {
      this.s.pruneEntries.run(now - ENTRY_KEEP_MS);
      this.s.pruneSkips.run(now);
      this.s.pruneConflicts.run(now - CONFLICT_KEEP_MS);
    })();
  }
}
