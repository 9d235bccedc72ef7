import type { Db } from '../storage/database.js';

/** Config sections an operator may change through the API. */
export const SETTINGS_SECTIONS = ['alarms', 'dispatch'] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

export interface StoredOverride {
  readonly section: SettingsSection;
  /** The section as the operator sent it (validated when stored and again at every start). */
  readonly value: unknown;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface AuditEntry {
  readonly id: number;
  /** UTC ms. */
  readonly ts: number;
  /** Who made the change: the signed-in account, or (without one) the `by` given, or "unknown". */
  readonly by: string;
  /** The signed-in account (user name, or `token:<id>`) that made it; absent for changes without one and older rows. */
  readonly account?: string;
  readonly section: string;
  /** The section as in effect before and after the change. */
  readonly before: unknown;
  readonly after: unknown;
}

export interface AuditQuery {
  readonly limit: number;
  readonly section?: string;
  /** Only entries with a smaller id (the next page of a newest-first listing). */
  readonly beforeId?: number;
}

interface OverrideRow {
  section: string;
  value_json: string;
  updated_at: number;
  updated_by: string;
}

interface AuditRow {
  id: number;
  ts: number;
  by: string;
  account: string | null;
  section: string;
  before_json: string;
  after_json: string;
}

const isSection = (s: string): s is SettingsSection => (SETTINGS_SECTIONS as readonly string[]).includes(s);

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    ts: r.ts,
    by: r.by,
    ...(r.account === null ? {} : { account: r.account }),
    section: r.section,
    before: JSON.parse(r.before_json) as unknown,
    after: JSON.parse(r.after_json) as unknown,
  };
}

/** A change-log `audit` payload (docs/sync.md): `{ section, by, account, before, after }`, `account` absent without one. */
function auditPayload(c: { section: string; by: string; account?: string | undefined; before: unknown; after: unknown }): Record<string, unknown> {
  return { section: c.section, by: c.by, ...(c.account === undefined ? {} : { account: c.account }), before: c.before, after: c.after };
}

/**
 * `settings_overrides` and `settings_audit` (migrations 5 and 6). A change is one transaction: the override, its audit
 * row and its change-log `audit` row are committed together or not at all.
 */
export class SettingsStore {
  private readonly allOverrides;
  private readonly upsert;
  private readonly insertAudit;
  private readonly logChange;
  private readonly auditAll;
  private readonly auditBySection;

  constructor(private readonly db: Db) {
    this.allOverrides = db.prepare<[], OverrideRow>('SELECT section, value_json, updated_at, updated_by FROM settings_overrides ORDER BY section');
    this.upsert = db.prepare<[string, string, number, string]>(
      `INSERT INTO settings_overrides (section, value_json, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT (section) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    );
    this.insertAudit = db.prepare<[number, string, string | null, string, string, string]>(
      'INSERT INTO settings_audit (ts, "by", account, section, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.logChange = db.prepare<[number, string]>("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'audit', ?)");
    this.auditAll = db.prepare<[number, number], AuditRow>(
      'SELECT id, ts, "by" AS by, account, section, before_json, after_json FROM settings_audit WHERE id < ? ORDER BY id DESC LIMIT ?',
    );
    this.auditBySection = db.prepare<[string, number, number], AuditRow>(
      'SELECT id, ts, "by" AS by, account, section, before_json, after_json FROM settings_audit WHERE section = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
  }

  /** Every stored override; rows naming a section this version does not know are skipped. */
  overrides(): StoredOverride[] {
    return this.allOverrides
      .all()
      .filter((r) => isSection(r.section))
      .map((r) => ({ section: r.section as SettingsSection, value: JSON.parse(r.value_json) as unknown, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  /**
   * Stores a section's override, its audit row and its change-log row (kind `audit`, which the county sync sends in
   * the `health` lane: docs/sync.md) in one transaction; returns the audit row's id.
   */
  save(change: { section: SettingsSection; value: unknown; before: unknown; after: unknown; by: string; account?: string | undefined; ts: number }): number {
    return this.db.transaction(() => {
      this.upsert.run(change.section, JSON.stringify(change.value), change.ts, change.by);
      const res = this.insertAudit.run(change.ts, change.by, change.account ?? null, change.section, JSON.stringify(change.before), JSON.stringify(change.after));
      this.logChange.run(change.ts, JSON.stringify(auditPayload(change)));
      return Number(res.lastInsertRowid);
    })();
  }

  /** Audit entries, newest first. */
  audit(q: AuditQuery): AuditEntry[] {
    const before = q.beforeId ?? Number.MAX_SAFE_INTEGER;
    const rows = q.section === undefined ? this.auditAll.all(before, q.limit) : this.auditBySection.all(q.section, before, q.limit);
    return rows.map(toEntry);
  }
}
