import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../node-daemon/core/log.js';
import { afterFailure, afterSuccess, BACKOFF_START, backoffDelay, type BackoffState } from '../../node-daemon/sync/outbox/backoff.js';
import type { HubStore } from '../store/types.js';
import { fetchFeedPage, type FeedAnswer } from './feed-client.js';
import type { PullTarget } from './pull-config.js';
import { describePullError } from './pull-error.js';
import { PullLeases, type PullState } from './pull-lease.js';
import { pullRound } from './pull-round.js';

export interface PullSchedulerOptions {
  readonly store: HubStore;
  readonly targets: readonly PullTarget[];
  readonly log: Logger;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** This process's name in the lease table; default `host:pid:random`. */
  readonly holder?: string;
  /** The page reader (default: HTTP GET of the box's feed). */
  readonly fetchPage?: (target: PullTarget, after: number, lane: Parameters<typeof fetchFeedPage>[2], signal: AbortSignal) => Promise<FeedAnswer>;
}

/** What one target is doing in this process. */
export interface TargetStatus {
  readonly box: string;
  readonly state: PullState;
  readonly failures: number;
  readonly lastError: string | null;
  readonly lastOkAt: number | null;
  readonly nextAt: number | null;
  readonly stored: number;
  readonly rounds: number;
}

/** How long a lease lasts: it is renewed before every page, so it must outlast one page's fetch and store. */
export function leaseMsFor(t: PullTarget): number {
  return Math.max(60_000, 2 * t.timeoutMs + 10_000);
}

interface Slot {
  readonly target: PullTarget;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  backoff: BackoffState;
  status: TargetStatus;
}

/**
 * The pull scheduler (docs/sync.md "Pull"): for each configured box, a round every `intervalS` — take the box's
 * lease (pull-lease.ts; another hub process holding it means stand by), read each lane's pages after the hub's marks
 * and store them as a push would (pull-round.ts). A round the page cap cut short is followed at once; a failed one
 * backs off exponentially with full jitter (2 s doubling up to `maxBackoffS`). Status per box in hub_pull_targets
 * (GET /api/v1/boxes/:id) and log lines `hub.pull.*`.
 */
export class PullScheduler {
  readonly #opts: PullSchedulerOptions;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #leases: PullLeases;
  readonly #slots: Slot[];
  readonly #abort = new AbortController();
  #stopped = false;

  constructor(opts: PullSchedulerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#leases = new PullLeases(opts.store.sql, opts.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`);
    this.#slots = opts.targets.map((target) => ({
      target,
      timer: undefined,
      running: undefined,
      backoff: BACKOFF_START,
      status: { box: target.box, state: 'starting', failures: 0, lastError: null, lastOkAt: null, nextAt: null, stored: 0, rounds: 0 },
    }));
  }

  get holder(): string {
    return this.#leases.holder;
  }

  start(): void {
    for (const slot of this.#slots) {
      this.#opts.log.info({ event: 'hub.pull.target', box: slot.target.box, url: slot.target.url, intervalS: slot.target.intervalMs / 1000, holder: this.holder }, `pulling ${slot.target.box} from ${slot.target.url}`);
      this.#schedule(slot, 0);
    }
  }

  status(): TargetStatus[] {
    return this.#slots.map((s) => s.status);
  }

  /** Stops the timers, aborts the requests under way, waits for the rounds to end and lets the leases go. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    for (const slot of this.#slots) clearTimeout(slot.timer);
    await Promise.allSettled(this.#slots.map((s) => s.running));
    for (const slot of this.#slots) {
      try {
        await this.#leases.release(slot.target.box, this.#clock());
      } catch (err) {
        this.#opts.log.warn({ event: 'hub.pull.release_failed', box: slot.target.box, err: err instanceof Error ? err.message : String(err) }, 'could not release a pull lease');
      }
    }
  }

  #schedule(slot: Slot, delayMs: number): void {
    if (this.#stopped) return;
    slot.status = { ...slot.status, nextAt: this.#clock() + delayMs };
    slot.timer = setTimeout(() => {
      slot.running = this.#round(slot).finally(() => (slot.running = undefined));
    }, delayMs);
  }

  async #round(slot: Slot): Promise<void> {
    const { target } = slot;
    const { log } = this.#opts;
    const leaseMs = leaseMsFor(target);
    const startedAt = this.#clock();
    let held: boolean;
    try {
      held = await this.#leases.take(target.box, target.url, startedAt, leaseMs);
    } catch (err) {
      // The database is away: try again after the interval (the store logs its own trouble).
      log.warn({ event: 'hub.pull.lease_failed', box: target.box, err: err instanceof Error ? err.message : String(err) }, `pull ${target.box}: cannot take the lease`);
      this.#schedule(slot, target.intervalMs);
      return;
    }
    if (!held) {
      if (slot.status.state !== 'standby') log.info({ event: 'hub.pull.standby', box: target.box, holder: this.holder }, `pull ${target.box}: another hub process holds it`);
      slot.status = { ...slot.status, state: 'standby' };
      this.#schedule(slot, target.intervalMs);
      return;
    }
    log.debug({ event: 'hub.pull.round', box: target.box, holder: this.holder, at: startedAt }, `pull ${target.box}: round`);
    slot.status = { ...slot.status, state: 'pulling' };
    const fetchPage = this.#opts.fetchPage ?? fetchFeedPage;
    try {
      const out = await pullRound({
        store: this.#opts.store,
        target,
        fetchPage: (after, lane) => fetchPage(target, after, lane, this.#abort.signal),
        stillHolder: () => this.#leases.take(target.box, target.url, this.#clock(), leaseMs),
        maxPages: target.pagesPerRound,
      });
      const now = this.#clock();
      slot.backoff = afterSuccess();
      const delay = out.more ? 0 : target.intervalMs;
      const state: PullState = out.more ? 'pulling' : 'idle';
      slot.status = { ...slot.status, state, failures: 0, lastError: null, lastOkAt: now, nextAt: now + delay, stored: slot.status.stored + out.stored, rounds: slot.status.rounds + 1 };
      await this.#leases.report(target.box, { state, attemptAt: startedAt, okAt: now, error: null, failures: 0, nextAt: now + delay, stored: out.stored });
      log[out.stored > 0 ? 'info' : 'debug'](
        { event: 'hub.pull.ok', box: target.box, holder: this.holder, pages: out.pages, stored: out.stored, duplicates: out.duplicates, more: out.more, ms: now - startedAt, startedAt, endedAt: now },
        `pull ${target.box}: ${out.stored} records stored`,
      );
      this.#schedule(slot, delay);
    } catch (err) {
      const now = this.#clock();
      if (this.#stopped) return;
      slot.backoff = afterFailure(slot.backoff);
      const delay = Math.max(1_000, backoffDelay(slot.backoff, this.#random, { maxMs: target.maxBackoffMs }));
      const error = describePullError(err);
      slot.status = { ...slot.status, state: 'backoff', failures: slot.backoff.failures, lastError: error, nextAt: now + delay, rounds: slot.status.rounds + 1 };
      log.warn({ event: 'hub.pull.failed', box: target.box, holder: this.holder, failures: slot.backoff.failures, error, retryInMs: delay, startedAt, endedAt: now }, `pull ${target.box} failed: ${error}`);
      try {
        await this.#leases.report(target.box, { state: 'backoff', attemptAt: startedAt, error, failures: slot.backoff.failures, nextAt: now + delay, stored: 0 });
      } catch {
        // The database is away too; the log line above says what happened.
      }
      this.#schedule(slot, delay);
    }
  }
}
