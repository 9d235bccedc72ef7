import { RuleEngine, type RuleEngineOptions } from './rule-engine.js';
import type { Level } from '../rules/events.js';
import type { AlarmSiteConfig } from '../rules/schema.js';
import { monotonicMs, type RulesHeartbeat } from '../../core/liveness.js';
import type { Logger } from '../../core/log.js';
import type { Module } from '../../core/module.js';

/** Everything a rule engine needs but its sites (and the site names, which come from the sites). */
export type RuleEngineBase = Omit<RuleEngineOptions, 'sites' | 'siteNames'>;

/** Site id → name for titles and templates: the site's `name`, else its id. */
export function siteNamesOf(sites: readonly AlarmSiteConfig[]): Record<string, string> {
  return Object.fromEntries(sites.map((s) => [s.id, s.name ?? s.id]));
}

/**
 * The alarm rules as one module whose sites can be replaced while the box runs: `replace()` stops the running
 * engine (which writes every site's state) and starts a new one on the new sites, which restores each site's
 * state from SQLite (a site whose sensors, rate rule or rain gauge changed starts fresh; new limits simply meet
 * the next sample). Open alarms are reconciled with the store as at any start, so nothing is forgotten or raised
 * twice.
 */
export class LiveRuleEngine implements Module {
  readonly name = 'alarm-rules';
  private engine: RuleEngine;
  private running = false;
  /** Replacements run one after another. */
  private chain: Promise<void> = Promise.resolve();
  /** When (monotonic ms) the replacement under way began: between two engines the heartbeat is this. */
  private replacingSince: number | undefined;

  constructor(
    private readonly base: RuleEngineBase,
    private sitesNow: readonly AlarmSiteConfig[],
    private readonly log: Logger = base.log,
  ) {
    this.engine = this.build(sitesNow);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.engine.start();
  }

  async stop(): Promise<void> {
    await this.chain;
    if (!this.running) return;
    this.running = false;
    await this.engine.stop();
  }

  /** The sites the rules run on now. */
  sites(): readonly AlarmSiteConfig[] {
    return this.sitesNow;
  }

  /** What the systemd watchdog asks before each ping: the running engine's, or the replacement's start while one runs. */
  heartbeat(): RulesHeartbeat {
    const hb = this.engine.heartbeat();
    if (this.replacingSince !== undefined) return { running: this.running, subscribed: true, lastTickAt: this.replacingSince, tickMs: hb.tickMs };
    return { ...hb, running: this.running && hb.running };
  }

  /** Each site's current flood level (see `RuleEngine.levels`). */
  levels(): Record<string, Level> {
    return this.engine.levels();
  }

  /** Runs the rules on these sites from now on. Throws (keeping the old engine) if the new one cannot be built. */
  replace(sites: readonly AlarmSiteConfig[]): Promise<void> {
    const next = this.chain.then(async () => {
      const fresh = this.build(sites);
      const old = this.engine;
      this.replacingSince = monotonicMs();
      try {
        if (this.running) await old.stop();
        this.engine = fresh;
        this.sitesNow = sites;
        if (this.running) await fresh.start();
      } finally {
        this.replacingSince = undefined;
      }
      this.log.info({ event: 'alarm.rules.reconfigured', sites: sites.map((s) => s.id) }, 'alarm rules restarted with new sites');
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private build(sites: readonly AlarmSiteConfig[]): RuleEngine {
    return new RuleEngine({ ...this.base, sites, siteNames: siteNamesOf(sites) });
  }
}
