import { parseState, RuleStateStore, siteShape } from './state-store.js';
import { rainSum } from '../rules/rainfall.js';
import type { AlarmSiteConfig } from '../rules/schema.js';
import type { Db } from '../../storage/database.js';

export interface RainTotals {
  /** Rain in mm over the last 1, 3 and 6 hours. */
  readonly h1: number;
  readonly h3: number;
  readonly h6: number;
}

/**
 * A site's rolling rainfall totals, read from the rule engine's persisted state (`alarm_rule_state`, written on
 * every step that changed it, so it holds every counted tip). Undefined when the site has no rain gauge; zeros while
 * nothing has been counted (no state yet, or a state from before its gauge changed, which the engine starts afresh).
 */
export class SiteRain {
  private readonly store: RuleStateStore;

  constructor(db: Db) {
    this.store = new RuleStateStore(db);
  }

  totals(site: AlarmSiteConfig, now: number): RainTotals | undefined {
    if (site.rainfall === undefined) return undefined;
    const row = this.store.load(site.id);
    if (row === undefined || row.shape !== siteShape(site)) return { h1: 0, h3: 0, h6: 0 };
    const parsed = parseState(site, row.stateJson);
    if (!('state' in parsed) || parsed.state.rain === null) return { h1: 0, h3: 0, h6: 0 };
    const rain = parsed.state.rain;
    return { h1: rainSum(rain, 'h1', now), h3: rainSum(rain, 'h3', now), h6: rainSum(rain, 'h6', now) };
  }
}
