import type { Observable, Subscription } from 'rxjs';
import type { AlarmSiteConfig } from '../../alarms/rules/schema.js';
import type { Logger } from '../../core/log.js';
import type { Module } from '../../core/module.js';
import type { Clock } from '../../core/types.js';
import type { UplinksHealth } from '../../http/schemas/uplinks.js';
import type { Db } from '../../storage/database.js';
import { CentreLink, type LinkOutbox } from './centre-link.js';
import type { Sl651CentreConfig } from './config-schema.js';
import { Sl651Outbox } from './outbox-store.js';
import { stationAnswers } from './query-answers.js';
import type { RainTotalsMm } from './report-plan.js';

export interface Sl651ModuleDeps {
  readonly db: Db;
  readonly centres: readonly Sl651CentreConfig[];
  /** The alarm sites as configured now (rain elements read a site's rain gauge). */
  readonly sites: () => readonly AlarmSiteConfig[];
  /** A site's rain totals at a time (alarms/engine/site-rain.ts). */
  readonly rain: (site: AlarmSiteConfig, at: number) => RainTotalsMm | undefined;
  readonly clockTrusted: () => boolean;
  /** Fires after each committed batch of readings: the planner runs then. */
  readonly stored$: Observable<unknown>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The planner also runs on this beat, so marks become due on their settle time when no reading comes. */
const PLAN_EVERY_MS = 15_000;
/** Planner runs at most this often on stored batches (a batch is committed every ~0.5 s). */
const PLAN_AT_MOST_EVERY_MS = 1_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Confirmed reports are kept this long (for the log of what the centre has), then pruned. */
const KEEP_CONFIRMED_DAYS = 7;

/**
 * The box as an SL 651-2014 telemetry station (`uplinks.sl651`): for each centre, the report planner over the stored
 * readings (report-plan.ts) feeding the durable outbox (outbox-store.ts), and the TCP link that sends it and answers
 * the centre's queries (centre-link.ts). Planning is one transaction per run: a crash loses or repeats no report.
 */
export class Sl651Module implements Module {
  readonly name = 'sl651';
  private readonly outbox: Sl651Outbox;
  private readonly links: { readonly config: Sl651CentreConfig; readonly link: CentreLink }[];
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private planPending: NodeJS.Timeout | undefined;
  private lastPlanAt = 0;
  private failing = false;

  constructor(private readonly deps: Sl651ModuleDeps) {
    this.outbox = new Sl651Outbox({ db: deps.db, clock: deps.clock });
    const levelAt = (sensor: string, at: number, maxAgeMs: number): number | null => this.outbox.levelAt(sensor, at, maxAgeMs);
    const rainAt = (siteId: string, at: number): RainTotalsMm | null => {
      const site = this.deps.sites().find((s) => s.id === siteId);
      return site === undefined ? null : (this.deps.rain(site, at) ?? null);
    };
    this.links = deps.centres.map((config) => ({
      config,
      link: new CentreLink({
        config,
        outbox: this.linkOutbox(config.id),
        answers: stationAnswers(config, { levelAt, rainAt, clockTrusted: deps.clockTrusted }),
        clock: deps.clock,
        log: deps.log,
      }),
    }));
    this.rainAt = rainAt;
  }

  private readonly rainAt: (siteId: string, at: number) => RainTotalsMm | null;

  async start(): Promise<void> {
    this.plan();
    for (const { link } of this.links) link.start();
    this.subscription = this.deps.stored$.subscribe(() => this.planSoon());
    this.timer = setInterval(() => this.plan(), PLAN_EVERY_MS);
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
  }

  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.planPending);
    this.planPending = undefined;
    await Promise.all(this.links.map(({ link }) => link.stop()));
  }

  health(): UplinksHealth {
    return { sl651: this.links.map(({ link }) => link.health()) };
  }

  private planSoon(): void {
    if (this.planPending !== undefined) return;
    const wait = Math.max(0, this.lastPlanAt + PLAN_AT_MOST_EVERY_MS - this.deps.clock());
    this.planPending = setTimeout(() => {
      this.planPending = undefined;
      this.plan();
    }, wait);
  }

  /** Runs each centre's planner until it has caught up with the stored readings, then wakes its link. */
  private plan(): void {
    this.lastPlanAt = this.deps.clock();
    for (const { config, link } of this.links) {
      try {
        let queued = 0;
        for (let round = 0; round < 100; round++) {
          const run = this.outbox.runPlanner(config, this.deps.clock(), { rainAt: this.rainAt });
          queued += run.queued.length;
          for (const r of run.queued) {
            this.deps.log.info(
              { event: 'sl651.report_queued', centre: config.id, kind: r.kind, fn: r.fn.toString(16), serial: r.serial, observedAt: r.observedAt, ...(r.reason === undefined ? {} : { reason: r.reason }) },
              `SL 651 ${r.kind} report for ${config.id} queued${r.reason === undefined ? '' : `: ${r.reason}`}`,
            );
          }
          if (!run.more) break;
        }
        if (queued > 0) link.wake();
        this.failing = false;
      } catch (err) {
        // The database is full or failing: the readings stay, the cursor did not move; the next run tries again.
        if (!this.failing) this.deps.log.error({ event: 'sl651.plan_failed', centre: config.id, err: String(err) }, `SL 651 reports for ${config.id} could not be planned`);
        this.failing = true;
      }
    }
  }

  private prune(): void {
    try {
      this.outbox.prune(KEEP_CONFIRMED_DAYS, this.deps.clock());
    } catch (err) {
      this.deps.log.warn({ event: 'sl651.prune_failed', err: String(err) }, 'confirmed SL 651 reports could not be pruned');
    }
  }

  private linkOutbox(centreId: string): LinkOutbox {
    const o = this.outbox;
    return {
      nextUnconfirmed: () => o.nextUnconfirmed(centreId),
      markSent: (id, at) => o.markSent(id, at),
      confirm: (serial, fn, at) => o.confirm(centreId, serial, fn, at) !== undefined,
      queueLength: () => o.queueLength(centreId),
      lastConfirmedAt: () => o.lastConfirmedAt(centreId) ?? undefined,
    };
  }
}
