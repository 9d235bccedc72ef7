import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { systemClock, type Clock } from '../core/types.js';
import type { Db } from '../storage/database.js';
import { checkWithSection, type SettingsProblem } from './effective-config.js';
import { SETTINGS_SECTIONS, SettingsStore, type AuditEntry, type AuditQuery, type SettingsSection } from './settings-store.js';

/** Puts a changed section into effect (restarts the rules, re-plans the dispatcher). */
export type SettingsApplier = (section: SettingsSection, next: Config, previous: Config) => Promise<void> | void;

export interface SettingsServiceOptions {
  /** Migrated (openDatabase). */
  readonly db: Db;
  /** The config as loaded from the YAML file (or the demo's). */
  readonly fileConfig: Config;
  readonly log: Logger;
  readonly clock?: Clock;
}

export interface OverrideInfo {
  readonly updatedAt: number;
  readonly by: string;
}

export type SettingsUpdate =
  | { readonly ok: true; readonly section: SettingsSection; readonly value: Config[SettingsSection]; readonly warnings: readonly SettingsProblem[]; readonly auditId: number }
  | { readonly ok: false; readonly problems: readonly SettingsProblem[] };

/**
 * The config sections operators change through the API (`alarms`, `dispatch`). The effective config is the file's
 * with every stored override put in, each validated again at start against the file as it is now: an override the
 * file no longer supports (say, it names a sensor since removed) is logged and left out, so the box always starts.
 * A change is validated as a whole config, stored with its audit row in one transaction, then applied live.
 */
export class SettingsService {
  private readonly store: SettingsStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private current: Config;
  private readonly info = new Map<SettingsSection, OverrideInfo>();
  private readonly appliers: SettingsApplier[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(opts: SettingsServiceOptions) {
    this.store = new SettingsStore(opts.db);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    let config = opts.fileConfig;
    const overrides = new Map(this.store.overrides().map((o) => [o.section, o]));
    for (const section of SETTINGS_SECTIONS) {
      const o = overrides.get(section);
      if (o === undefined) continue;
      const check = checkWithSection(config, section, o.value);
      if (!check.ok) {
        this.log.error(
          { event: 'settings.override_invalid', section, updatedAt: o.updatedAt, by: o.updatedBy, problems: check.problems.map((p) => `${p.path}: ${p.message}`) },
          `the stored ${section} settings no longer fit the config file; using the file's ${section} section`,
        );
        continue;
      }
      config = check.config;
      this.info.set(section, { updatedAt: o.updatedAt, by: o.updatedBy });
      this.log.info({ event: 'settings.override_applied', section, updatedAt: o.updatedAt, by: o.updatedBy }, `${section} settings from the database override the config file`);
    }
    this.current = config;
  }

  /** The config in effect: the file's, with the stored overrides. */
  effective(): Config {
    return this.current;
  }

  /** When and by whom each section was last changed through the API; null where the file's section is in effect. */
  overrides(): Record<SettingsSection, OverrideInfo | null> {
    return { alarms: this.info.get('alarms') ?? null, dispatch: this.info.get('dispatch') ?? null };
  }

  /** Called, in order, after a change is stored. */
  onApply(applier: SettingsApplier): void {
    this.appliers.push(applier);
  }

  /**
   * Validates, stores (with an audit row) and applies a new section. Changes run one at a time. `by` names who in
   * the audit log; `account` is the signed-in account (user name or `token:<id>`), recorded beside it when there is one.
   */
  update(section: SettingsSection, value: unknown, by: string, account?: string): Promise<SettingsUpdate> {
    const run = this.chain.then(() => this.doUpdate(section, value, by, account));
    this.chain = run.catch(() => undefined);
    return run;
  }

  audit(q: AuditQuery): AuditEntry[] {
    return this.store.audit(q);
  }

  private async doUpdate(section: SettingsSection, value: unknown, by: string, account: string | undefined): Promise<SettingsUpdate> {
    const previous = this.current;
    const check = checkWithSection(previous, section, value);
    if (!check.ok) {
      this.log.info({ event: 'settings.rejected', section, by, problems: check.problems.map((p) => `${p.path}: ${p.message}`) }, `${section} settings change rejected`);
      return { ok: false, problems: check.problems };
    }
    const next = check.config;
    const ts = this.clock();
    const auditId = this.store.save({ section, value, before: previous[section], after: next[section], by, account, ts });
    this.current = next;
    this.info.set(section, { updatedAt: ts, by });
    this.log.info({ event: 'settings.changed', section, by, account, auditId }, `${section} settings changed`);
    for (const apply of this.appliers) {
      try {
        await apply(section, next, previous);
      } catch (err) {
        this.log.error({ event: 'settings.apply_failed', section, err }, `the new ${section} settings are stored but could not be applied live; they apply at the next start`);
        throw err;
      }
    }
    return { ok: true, section, value: next[section], warnings: check.warnings, auditId };
  }
}
