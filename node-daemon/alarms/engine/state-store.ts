import { QUALITIES, type Reading } from '../../core/types.js';
import type { Db } from '../../storage/database.js';
import { FAULT_KINDS, type RuleEvent } from '../rules/events.js';
import type { AlarmSiteConfig } from '../rules/schema.js';
import type { SiteState } from '../rules/site.js';
import { ALARM_LEVELS } from '../types.js';

/**
 * The parts of a site's config its SiteState is built on: the sensor list (one rule state per sensor), whether a
 * rate-of-rise rule exists (its samples), and the rain gauge (its counter baseline). Limits, hysteresis and delays
 * are not in it: a restored state under new limits simply meets the next sample with them.
 */
export function siteShape(cfg: AlarmSiteConfig): string {
  const g = cfg.rainfall?.gauge;
  return JSON.stringify({
    sensors: [...cfg.sensors].sort(),
    rate: cfg.rateOfRise !== undefined,
    rain: g === undefined ? null : { id: g.id, input: g.input, counterModulo: g.counterModulo },
  });
}

export interface StoredSiteRow {
  readonly siteId: string;
  readonly shape: string;
  readonly stateJson: string;
  readonly pendingJson: string;
  readonly updatedAt: number;
}

interface Row {
  site_id: string;
  shape: string;
  state_json: string;
  pending_json: string;
  updated_at: number;
}

/** `alarm_rule_state` (migration 3): one row per site, each write one statement (so atomic on its own). */
export class RuleStateStore {
  private readonly getRow;
  private readonly upsert;
  private readonly setPending;

  constructor(db: Db) {
    this.getRow = db.prepare<[string], Row>('SELECT site_id, shape, state_json, pending_json, updated_at FROM alarm_rule_state WHERE site_id = ?');
    this.upsert = db.prepare<[string, string, string, string, number]>(
      `INSERT INTO alarm_rule_state (site_id, shape, state_json, pending_json, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (site_id) DO UPDATE SET shape = excluded.shape, state_json = excluded.state_json,
         pending_json = excluded.pending_json, updated_at = excluded.updated_at`,
    );
    this.setPending = db.prepare<[string, number, string]>('UPDATE alarm_rule_state SET pending_json = ?, updated_at = ? WHERE site_id = ?');
  }

  load(siteId: string): StoredSiteRow | undefined {
    const r = this.getRow.get(siteId);
    return r === undefined ? undefined : { siteId: r.site_id, shape: r.shape, stateJson: r.state_json, pendingJson: r.pending_json, updatedAt: r.updated_at };
  }

  save(siteId: string, shape: string, stateJson: string, pending: readonly RuleEvent[], now: number): void {
    this.upsert.run(siteId, shape, stateJson, JSON.stringify(pending), now);
  }

  savePending(siteId: string, pending: readonly RuleEvent[], now: number): void {
    this.setPending.run(JSON.stringify(pending), now, siteId);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLevel = (v: unknown): boolean => v === null || (ALARM_LEVELS as readonly unknown[]).includes(v);

/**
 * Why a stored state cannot be used for this site's config, or null when it can. Checks the structure the pure
 * rules rely on (one rule state per configured sensor, rate and rain states present exactly when configured); the
 * rules' own fields are trusted, since only this engine writes them.
 */
export function stateProblem(cfg: AlarmSiteConfig, v: unknown): string | null {
  if (!isObject(v)) return 'not an object';
  if (v.siteId !== cfg.id) return `belongs to site ${String(v.siteId)}`;
  if (!isLevel(v.level) || !isLevel(v.latched)) return 'bad level';
  if (!isObject(v.sensors)) return 'no sensors';
  const ids = Object.keys(v.sensors).sort();
  const want = [...cfg.sensors].sort();
  if (ids.join(',') !== want.join(',')) return `sensors ${ids.join(',')} are not ${want.join(',')}`;
  for (const id of ids) {
    const s = v.sensors[id];
    if (!isObject(s) || !isObject(s.faults) || !isObject(s.prepare) || !isObject(s.evacuate)) return `sensor ${id} has no rule state`;
    if (!isObject(s.faults.active) || FAULT_KINDS.some((k) => typeof (s.faults as { active: Record<string, unknown> }).active[k] !== 'boolean')) {
      return `sensor ${id} has no fault flags`;
    }
    if ((s.rate === null) !== (cfg.rateOfRise === undefined)) return `sensor ${id} rate state does not match the rate rule`;
  }
  if ((v.rain === null || v.rain === undefined) !== (cfg.rainfall === undefined)) return 'rain state does not match the rainfall rule';
  return null;
}

export function parseState(cfg: AlarmSiteConfig, json: string): { state: SiteState } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    return { problem: `unreadable JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const problem = stateProblem(cfg, v);
  return problem === null ? { state: v as SiteState } : { problem };
}

function isRuleEvent(v: unknown): v is RuleEvent {
  if (!isObject(v) || typeof v.key !== 'string' || typeof v.siteId !== 'string' || !isObject(v.cause)) return false;
  if (v.type === 'fault_raise' || v.type === 'fault_clear') return typeof v.sensorId === 'string' && (FAULT_KINDS as readonly unknown[]).includes(v.fault);
  return ['raise', 'escalate', 'deescalate', 'clear'].includes(String(v.type)) && isLevel(v.to);
}

/** The rule events written ahead of their alarm calls; unusable entries are dropped (and counted). */
export function parsePending(json: string): { events: RuleEvent[]; dropped: number } {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return { events: [], dropped: 1 };
  }
  if (!Array.isArray(v)) return { events: [], dropped: 1 };
  const events = v.filter(isRuleEvent);
  return { events, dropped: v.length - events.length };
}

/** Why a reading from the hub cannot be fed to the rules, or null. The hub is typed, but a driver bug must not crash us. */
export function readingProblem(r: Reading): string | null {
  const x = r as unknown;
  if (!isObject(x)) return 'not an object';
  if (typeof x.sensorId !== 'string') return 'no sensorId';
  if (typeof x.ts !== 'number' || !Number.isFinite(x.ts)) return `bad ts ${String(x.ts)}`;
  if (!(QUALITIES as readonly unknown[]).includes(x.quality)) return `bad quality ${String(x.quality)}`;
  if (x.value !== null && (typeof x.value !== 'number' || !Number.isFinite(x.value))) return `bad value ${String(x.value)}`;
  return null;
}
