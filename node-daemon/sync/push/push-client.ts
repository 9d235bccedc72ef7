/**
 * The push loop (docs/sync.md, "Push" and "Link economy"): records from the outbox's lanes to the county hub's
 * `POST /api/v1/sync/ingest`, signed with the box key, answers verified with the county key, acknowledgements into
 * the outbox. One request at a time; the decisions are pure (plan.ts, budget.ts, batch-target.ts, backoff.ts in
 * ../outbox; outcome.ts, acks.ts, resend.ts, link-state.ts here), this file does the I/O and keeps the state.
 *
 * A request: the lanes in priority order, filled to the adaptive batch target (over budget: the alarm lane only);
 * the body `{box, dbId, batch, lanes}` compressed (brotli 5 or gzip); Content-Type and Content-Encoding set, then
 * signed (RFC 9421, `created` = box clock + the offset learned from the hub); sent with a timeout; the answer's
 * signature checked against the county key and bound to this request before anything in it is believed.
 *
 * Then: 200 → each lane acknowledged (the readings seqs sent folded go with it, so their raw is owed), next request
 * at once while records wait. 409 → the lanes the hub holds less of are rewound to its marks, the rest acknowledged,
 * and the box goes on. 401 too_old / from_future → the offset is learned from the signed refusal and the request
 * signed again, once. 413 → the target halves. No answer, a hub error or an answer not signed for this request →
 * backoff with full jitter (2 s up to sync.maxBackoffMs), the target halves, and the failed request is kept to be
 * sent again byte for byte (resend.ts). 400 bad_request → the request is narrowed down until the record the hub
 * cannot read goes alone, and that record is set aside (isolate.ts, set-aside.ts). 409 stale_database and a hub
 * certificate not matching the enrolment's pin → backoff, with a link state of their own and one log line per change. An alarm committed while backing off resets the backoff once per outage;
 * alarm$ and stored$ wake the loop, so an alarm leaves within a second while the link is up. Every exchange's
 * bytes (request and answer, headers included) go into the budget, saved in the outbox.
 *
 * Scheduling runs on the monotonic clock: the box has no RTC, and its wall clock may jump when NTP or a person sets
 * it. The wall clock (plus the learned offset) is used for signatures, the budget's calendar and the times shown.
 */
import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Observable, Subscription } from 'rxjs';
import type { Logger } from '../../core/log.js';
import { systemClock, type Clock } from '../../core/types.js';
import { afterFailure, afterSuccess, alarmWaiting, BACKOFF_START, backoffDelay, type BackoffOptions, type BackoffState } from '../outbox/backoff.js';
import { DEFAULT_BATCH_TARGET, initialBatchTarget, targetAfterFailure, targetAfterSuccess, type BatchTargetOptions } from '../outbox/batch-target.js';
import { addUsage, budgetStatus, type BudgetLimits } from '../outbox/budget.js';
import { LANES, type Lane } from '../outbox/lanes.js';
import type { OutboxRecord, OutboxStore } from '../outbox/outbox-store.js';
import { planRequest } from '../outbox/plan.js';
import { clockOffsetFromExchange, type SigningKey } from '../protocol/index.js';
import { planAcks } from './acks.js';
import { compressBody, type Compression } from './compress.js';
import { INGEST_PATH, ingestBodyText, parseIngestAnswer, retryAfterMs, type IngestLaneBody } from './ingest-body.js';
import { afterMalformed, limitRecords } from './isolate.js';
import { linkState, type SyncHealth, type SyncLaneBacklog, type SyncLinkState } from './link-state.js';
import { classifyAnswer, describeOutcome, outcomeEffects, type PushOutcome } from './outcome.js';
import { resendDecision } from './resend.js';
import type { SetAsideStore } from './set-aside.js';
import { NodeHttpTransport, signedRequest, type SignedExchange, type Transport, type WireResult } from './transport.js';
import { WakeableSleep } from '../wakeable-sleep.js';

export const PUSH_DEFAULTS = {
  requestTimeoutMs: 30_000,
  maxBatchBytes: 1_048_576,
  compression: 'br' as Compression,
  /** With nothing to send, the outbox is looked at this often (health and audit records come without an event). */
  idlePollMs: 10_000,
};

/** Records read from a lane per page while filling a request. */
const READ_PAGE = 32;
/** At most this many records of one lane are read for one request. */
const MAX_LANE_RECORDS = 5_000;
/** 409s in a row before they count as a failure (a hub whose marks keep moving back is not progress). */
const MAX_CONFLICTS_IN_A_ROW = 3;

export interface PushEvents {
  /** An alarm transition committed. */
  readonly alarm$: Observable<unknown>;
  /** A readings batch committed. */
  readonly stored$: Observable<unknown>;
  /** Any other change-log record committed (a recording's change): wakes the loop like a readings batch. */
  readonly changed$?: Observable<unknown>;
}

export interface PushClientOptions {
  readonly outbox: OutboxStore;
  /** The hub's origin, e.g. `http://hub.example:8470` (the enrolment's `hub`). */
  readonly hubUrl: string;
  readonly boxId: string;
  /** The box database's id (`databaseId(db)`), sent with every request. */
  readonly dbId: string;
  /** Signs with key id = the box id. */
  readonly boxKey: SigningKey;
  readonly countyKey: KeyObject;
  readonly countyKeyId: string;
  readonly log: Logger;
  /** `site.timezone`: the budget's calendar. */
  readonly timeZone: string;
  readonly events?: PushEvents;
  readonly clock?: Clock;
  /** In [0, 1): the backoff's jitter. */
  readonly random?: () => number;
  readonly transport?: Transport;
  readonly requestTimeoutMs?: number;
  readonly maxBatchBytes?: number;
  readonly compression?: Compression;
  readonly budget?: BudgetLimits;
  readonly maxRateKbit?: number;
  /** `maxMs` is sync.maxBackoffMs; `minMs` (2 s) only changes in tests. */
  readonly backoff?: BackoffOptions;
  readonly idlePollMs?: number;
  readonly userAgent?: string;
  /** The enrolment's pin of the hub's TLS key (https hubs): the default transport refuses any other key. */
  readonly tlsPin?: string;
  /** `sync.boxId` when it differs from the enrolled id, for the health view. */
  readonly configuredBoxId?: string;
  /** Where records set aside are kept (isolate.ts): for health, and to leave them out of requests. */
  readonly setAside: SetAsideStore;
}

interface LaneSent {
  readonly lane: Lane;
  readonly after: number;
  readonly lastSeq: number;
  readonly count: number;
  /** The lane's first record in the request (the one set aside when the hub refuses it alone). */
  readonly first?: Pick<OutboxRecord['record'], 'seq' | 'kind' | 'ts'>;
}

/** A request as built: kept after a failure to be sent again unchanged. */
interface PreparedRequest {
  readonly batch: number;
  readonly lanes: readonly LaneSent[];
  readonly records: number;
  readonly uncompressedBytes: number;
  readonly body: Buffer;
  readonly encoding: Compression;
  /** Readings seqs that went as aggregates. */
  readonly folded: readonly number[];
  deliveries: number;
}

type AttemptResult = { readonly next: 'now' | 'idle' | 'stop' } | { readonly next: 'after'; readonly delayMs: number };

const NOW: AttemptResult = { next: 'now' };

export class PushClient {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly compression: Compression;
  private readonly limits: BudgetLimits;
  /** maxBytes: sync.maxBatchBytes, lowered below every body the hub refused as too large (413). */
  private targetOpts: BatchTargetOptions;
  private readonly backoffOpts: BackoffOptions;
  private readonly idlePollMs: number;
  private readonly userAgent: string;
  private readonly url: URL;

  private target: number;
  private backoff: BackoffState = BACKOFF_START;
  /** Failed attempts in a row, for the link state (the backoff's own count drops when an alarm resets it). */
  private failures = 0;
  private refused = false;
  private everUp = false;
  private lastSuccessAt: number | undefined;
  private lastError: { ts: number; message: string } | undefined;
  private offsetMs = 0;
  private batch = 0;
  private conflicts = 0;
  private kept: PreparedRequest | undefined;
  /** Readings seqs sent folded in attempts that may have been stored and are not acknowledged yet (acks.ts). */
  private readonly folded = new Set<number>();
  private loggedState: SyncLinkState | undefined;
  /** The kind of the last failed attempt, so a failure repeating itself is logged once (then at debug). */
  private lastFailure: string | undefined;
  private problem: 'stale_database' | 'certificate_refused' | undefined;
  /** Narrowing down a request refused as malformed: at most `maxRecords` per request until each lane passes `until`. */
  private isolating: { maxRecords: number; until: Partial<Record<Lane, number>>; since: number } | undefined;
  private setAsideInARow = 0;

  private running = false;
  private loop: Promise<void> | undefined;
  private stopper = new AbortController();
  private readonly pause = new WakeableSleep();
  /** Monotonic ms of the next attempt. */
  private nextAt = 0;
  /** An event came in since the attempt began: look again at once rather than idling. */
  private poked = false;
  private subscription: Subscription | undefined;

  constructor(private readonly opts: PushClientOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.transport = opts.transport ?? new NodeHttpTransport(opts.tlsPin === undefined ? {} : { tlsPin: opts.tlsPin });
    this.timeoutMs = opts.requestTimeoutMs ?? PUSH_DEFAULTS.requestTimeoutMs;
    this.compression = opts.compression ?? PUSH_DEFAULTS.compression;
    this.limits = opts.budget ?? {};
    this.targetOpts = { maxBytes: opts.maxBatchBytes ?? PUSH_DEFAULTS.maxBatchBytes };
    this.backoffOpts = opts.backoff ?? {};
    this.idlePollMs = opts.idlePollMs ?? PUSH_DEFAULTS.idlePollMs;
    this.userAgent = opts.userAgent ?? 'fenghuo-box';
    this.url = new URL(INGEST_PATH, opts.hubUrl);
    this.target = initialBatchTarget(this.targetOpts);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopper = new AbortController();
    this.nextAt = 0;
    if (this.opts.events !== undefined) {
      const { alarm$, stored$ } = this.opts.events;
      this.subscription = alarm$.subscribe(() => this.onAlarm());
      this.subscription.add(stored$.subscribe(() => this.onStored()));
      if (this.opts.events.changed$ !== undefined) this.subscription.add(this.opts.events.changed$.subscribe(() => this.onStored()));
    }
    this.opts.log.info(
      { event: 'sync.push.started', hub: this.url.origin, box: this.opts.boxId, keyFingerprint: this.opts.boxKey.fingerprint, target: this.target },
      `pushing to the county hub at ${this.url.origin} as ${this.opts.boxId}`,
    );
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.stopper.abort();
    this.pause.wake();
    await this.loop;
    this.loop = undefined;
    this.transport.close();
  }

  /** The link for `GET /api/v1/health` (`sync`). */
  status(): SyncHealth {
    const now = this.clock();
    const backlog = this.opts.outbox.backlog();
    const budget = budgetStatus(this.opts.outbox.budget(), now + this.offsetMs, this.limits, this.opts.timeZone);
    const state = this.state(budget.overBudget);
    const waiting = this.failures > 0 && this.running;
    const setAside = this.opts.setAside.read();
    return {
      state,
      hub: this.url.origin,
      boxId: this.opts.boxId,
      ...(this.opts.configuredBoxId === undefined ? {} : { configuredBoxId: this.opts.configuredBoxId }),
      ...(this.opts.tlsPin === undefined ? {} : { tlsPin: this.opts.tlsPin }),
      ...(this.lastSuccessAt === undefined ? {} : { lastSuccessAt: this.lastSuccessAt }),
      ...(this.lastError === undefined ? {} : { lastError: { ...this.lastError } }),
      ...(waiting ? { nextAttemptAt: now + Math.max(0, Math.round(this.nextAt - performance.now())) } : {}),
      backlog: Object.fromEntries(
        LANES.map((lane): [Lane, SyncLaneBacklog] => [lane, { records: backlog[lane].records, bytes: backlog[lane].approxBytes, oldestAgeMs: backlog[lane].oldestAgeMs }]),
      ) as Record<Lane, SyncLaneBacklog>,
      budget: {
        dayBytes: budget.dayBytes,
        monthBytes: budget.monthBytes,
        ...(this.limits.dailyBytes === undefined ? {} : { dailyBytes: this.limits.dailyBytes }),
        ...(this.limits.monthlyBytes === undefined ? {} : { monthlyBytes: this.limits.monthlyBytes }),
      },
      offsetMs: this.offsetMs,
      ...(setAside === undefined || setAside.count === 0 ? {} : { setAside }),
      ...(this.isolating === undefined ? {} : { isolating: { maxRecords: this.isolating.maxRecords, since: this.isolating.since } }),
    };
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    while (this.running) {
      const wait = this.nextAt - performance.now();
      if (wait > 0) {
        await this.pause.sleep(wait);
        continue;
      }
      this.poked = false;
      let result: AttemptResult;
      try {
        result = await this.attempt();
      } catch (err) {
        result = this.failed({ kind: 'internal', message: err instanceof Error ? err.message : String(err) }, undefined, undefined);
      }
      if (result.next === 'stop' || !this.running) break;
      const delay = result.next === 'after' ? result.delayMs : result.next === 'idle' && !this.poked ? this.idlePollMs : 0;
      this.nextAt = performance.now() + delay;
      this.noteState();
    }
  }

  private onAlarm(): void {
    this.poked = true;
    if (this.backoff.failures > 0) {
      const r = alarmWaiting(this.backoff);
      if (!r.reset) return;
      this.backoff = r.state;
      const delay = backoffDelay(r.state, this.random, this.backoffOpts);
      this.nextAt = Math.min(this.nextAt, performance.now() + delay);
      this.opts.log.info({ event: 'sync.backoff_reset', delayMs: delay }, 'an alarm waits: retrying the hub sooner');
    } else {
      this.nextAt = Math.min(this.nextAt, performance.now());
    }
    this.pause.wake();
  }

  private onStored(): void {
    this.poked = true;
    if (this.backoff.failures > 0) return;
    this.nextAt = Math.min(this.nextAt, performance.now());
    this.pause.wake();
  }

  private state(overBudget: boolean): SyncLinkState {
    return linkState({
      enrolled: true,
      failures: this.failures,
      refused: this.refused,
      everUp: this.everUp,
      overBudget,
      ...(this.problem === undefined ? {} : { problem: this.problem }),
    });
  }

  private overBudget(): boolean {
    return budgetStatus(this.opts.outbox.budget(), this.clock() + this.offsetMs, this.limits, this.opts.timeZone).overBudget;
  }

  private noteState(): void {
    const state = this.state(this.overBudget());
    if (state === this.loggedState) return;
    const from = this.loggedState;
    this.loggedState = state;
    this.opts.log.info(
      { event: 'sync.state', state, from: from ?? null, failures: this.failures, ...(this.lastError === undefined || state === 'up' ? {} : { lastError: this.lastError.message }) },
      `county link ${state}`,
    );
  }

  // ---- one attempt ----

  private async attempt(): Promise<AttemptResult> {
    const overBudget = this.overBudget();
    let req = this.kept === undefined ? undefined : this.reuseKept(this.kept, overBudget);
    req ??= await this.prepare(overBudget);
    if (req === undefined) return { next: 'idle' };
    return this.exchange(req, false);
  }

  private cursors(): Record<Lane, number> {
    const out = {} as Record<Lane, number>;
    for (const lane of LANES) out[lane] = this.opts.outbox.cursor(lane);
    return out;
  }

  private reuseKept(kept: PreparedRequest, overBudget: boolean): PreparedRequest | undefined {
    const cursors = this.cursors();
    const alarmAfter = kept.lanes.find((l) => l.lane === 'alarm')?.lastSeq ?? cursors.alarm;
    const decision = resendDecision({
      kept,
      cursors,
      alarmWaitingBeyond: this.opts.outbox.readLane('alarm', { limit: 1, after: alarmAfter }).length > 0,
      overBudget,
      targetBytes: this.target,
    });
    if (decision.resend) return kept;
    this.kept = undefined;
    this.opts.log.debug({ event: 'sync.push.rebuilt', batch: kept.batch, why: decision.why }, 'the failed request is rebuilt rather than sent again unchanged');
    return undefined;
  }

  /**
   * A lane's records after `after`, read page by page until they pass `targetBytes` or the lane is empty; records
   * set aside (isolate.ts) are left out.
   */
  private readUpTo(lane: Lane, after: number, targetBytes: number): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    const skip = this.opts.setAside.skipped(lane, after);
    let bytes = 0;
    let from = after;
    for (;;) {
      const got = this.opts.outbox.readLane(lane, { limit: READ_PAGE, after: from });
      for (const r of got) {
        if (skip.has(r.record.seq)) continue;
        out.push(r);
        bytes += r.bytes;
      }
      const last = got[got.length - 1];
      if (last === undefined || got.length < READ_PAGE || bytes > targetBytes || out.length >= MAX_LANE_RECORDS) return out;
      from = last.record.seq;
    }
  }

  private async prepare(overBudget: boolean): Promise<PreparedRequest | undefined> {
    const cursors = this.cursors();
    const lanes = LANES.filter((lane) => !overBudget || lane === 'alarm');
    const pending = lanes.map((lane) => ({ lane, records: this.readUpTo(lane, cursors[lane], this.target) }));
    const plan = planRequest({
      lanes: pending.map((p) => ({ lane: p.lane, records: p.records.map((r) => ({ seq: r.record.seq, bytes: r.bytes })) })),
      targetBytes: this.target,
      overBudget,
    });
    if (plan.records === 0) return undefined;
    // While isolating a malformed record: fewer records per request (isolate.ts).
    const sent = limitRecords(plan.lanes, this.isolating?.maxRecords).map((l) => {
      const records = (pending.find((p) => p.lane === l.lane)?.records ?? []).slice(0, l.count);
      return { lane: l.lane, records, lastSeq: records[records.length - 1]?.record.seq ?? cursors[l.lane], first: records[0]?.record };
    });
    const bodies: IngestLaneBody[] = sent.map((l) => ({ lane: l.lane, after: cursors[l.lane], records: l.records.map((r) => r.record) }));
    const folded = bodies.filter((b) => b.lane === 'readings').flatMap((b) => b.records.filter((r) => r.kind === 'aggregates').map((r) => r.seq));
    this.batch += 1;
    const text = ingestBodyText({ box: this.opts.boxId, dbId: this.opts.dbId, batch: this.batch, lanes: bodies });
    return {
      batch: this.batch,
      lanes: sent.map((l) => ({
        lane: l.lane,
        after: cursors[l.lane],
        lastSeq: l.lastSeq,
        count: l.records.length,
        ...(l.first === undefined ? {} : { first: { seq: l.first.seq, kind: l.first.kind, ts: l.first.ts } }),
      })),
      records: sent.reduce((n, l) => n + l.records.length, 0),
      uncompressedBytes: Buffer.byteLength(text, 'utf8'),
      body: await compressBody(text, this.compression),
      encoding: this.compression,
      folded,
      deliveries: 0,
    };
  }

  private async exchange(req: PreparedRequest, clockRetry: boolean): Promise<AttemptResult> {
    // Every field that goes on the wire is set before signing (docs/sync-signatures.md, "Implementation notes").
    const x = await signedRequest({
      transport: this.transport,
      hub: this.url.origin,
      method: 'POST',
      path: INGEST_PATH,
      body: req.body,
      contentType: 'application/json',
      contentEncoding: req.encoding,
      key: this.opts.boxKey,
      countyKeyId: this.opts.countyKeyId,
      countyKey: this.opts.countyKey,
      clock: this.clock,
      offsetMs: this.offsetMs,
      userAgent: this.userAgent,
      timeoutMs: this.timeoutMs,
      ...(this.opts.maxRateKbit === undefined ? {} : { maxRateKbit: this.opts.maxRateKbit }),
      signal: this.stopper.signal,
    });
    const res = x.result;
    const durationMs = x.durationMs;
    const wireBytes = res.sentBytes + res.receivedBytes;
    this.countBytes(wireBytes);
    if (res.ok || res.reached) {
      req.deliveries += 1;
      for (const s of req.folded) this.folded.add(s);
    }
    let outcome: PushOutcome;
    if (res.ok) outcome = this.judge(res, x);
    else if (res.failure === 'aborted') return { next: 'stop' };
    else outcome = { kind: 'network', failure: res.failure, message: res.message };
    const ctx = { req, wireBytes, requestBytes: res.sentBytes, durationMs };

    switch (outcome.kind) {
      case 'stored':
      case 'conflict':
        return this.acknowledged(outcome, ctx);
      case 'clock':
        if (clockRetry) return this.failed(outcome, req, undefined);
        this.opts.log.warn(
          { event: 'sync.clock_refused', code: outcome.code, offsetMs: this.offsetMs, batch: req.batch },
          `the hub refused the request's time (${outcome.code}); signing again with the hub's time`,
        );
        return this.exchange(req, true);
      case 'too_large': {
        const before = this.target;
        // Never again as large as a body the hub refused: the target would grow back to it and be refused again.
        const ceiling = Math.max(DEFAULT_BATCH_TARGET.minBytes, Math.min(this.targetOpts.maxBytes ?? DEFAULT_BATCH_TARGET.maxBytes, req.uncompressedBytes - 1));
        this.targetOpts = { ...this.targetOpts, maxBytes: ceiling };
        this.target = targetAfterFailure(this.target, 'too_large', this.targetOpts);
        this.kept = undefined;
        this.opts.log.warn(
          { event: 'sync.push.too_large', batch: req.batch, records: req.records, bodyBytes: req.uncompressedBytes, sentBytes: req.body.byteLength, from: before, target: this.target, ceiling },
          'the hub refused the request as too large; halving the batch target',
        );
        // A smaller request is possible: go on at once. One record alone too large for the hub cannot shrink.
        if (this.target < before && req.records > 1) return NOW;
        return this.failed(outcome, undefined, undefined);
      }
      case 'busy':
        return this.failed(outcome, req, res.ok ? retryAfterMs(headerOf(res.headers['retry-after']), this.clock() + this.offsetMs) : undefined);
      case 'malformed':
        return this.malformed(outcome, req);
      case 'refused':
      case 'stale_database':
        return this.failed(outcome, undefined, undefined);
      case 'server':
      case 'unverified':
      case 'bad_answer':
      case 'network':
      case 'internal':
        return this.failed(outcome, req, undefined);
    }
  }

  /** Verifies the answer (county key, bound to this request), learns the clock offset from it, classifies it. */
  private judge(res: Extract<WireResult, { ok: true }>, x: SignedExchange): PushOutcome {
    const { sentAt, receivedAt } = x;
    const verified = x.verified;
    if (verified === undefined) return classifyAnswer({ status: res.status, unverified: 'missing_component', body: res.body });
    if (!verified.ok) return classifyAnswer({ status: res.status, unverified: verified.reason, body: res.body });
    // A verified answer bound to this request's fresh nonce is no replay: its time is the hub's. `hubTime` in the
    // body (covered by the signed digest) says it to the millisecond; `created` to the second.
    const hubTime = parseIngestAnswer(res.body)?.hubTime;
    const rtt = Math.max(0, receivedAt - sentAt);
    const estimate =
      hubTime === undefined
        ? clockOffsetFromExchange({ sentAtMs: sentAt, receivedAtMs: receivedAt, peerCreatedSec: verified.created })
        : { offsetMs: Math.round(hubTime - (sentAt + rtt / 2)), uncertaintyMs: Math.ceil(rtt / 2) };
    if (Math.abs(estimate.offsetMs - this.offsetMs) > 2_000) {
      this.opts.log.info(
        { event: 'sync.clock_offset', offsetMs: estimate.offsetMs, uncertaintyMs: estimate.uncertaintyMs, previousMs: this.offsetMs },
        `the hub's clock is ${estimate.offsetMs} ms from the box's`,
      );
    }
    this.offsetMs = estimate.offsetMs;
    return classifyAnswer({ status: res.status, body: res.body });
  }

  private acknowledged(
    outcome: Extract<PushOutcome, { kind: 'stored' | 'conflict' }>,
    ctx: { req: PreparedRequest; wireBytes: number; requestBytes: number; durationMs: number },
  ): AttemptResult {
    const { req } = ctx;
    const outbox = this.opts.outbox;
    const before = this.cursors();
    const plan = planAcks({ status: outcome.kind, acked: outcome.answer.acked, cursors: before, folded: this.folded });
    for (const r of plan.rewinds) outbox.rewind(r.lane, r.seq);
    for (const a of plan.acks) outbox.ack(a.lane, a.seq, a.aggregated === undefined ? {} : { aggregated: a.aggregated });
    for (const s of plan.settled) this.folded.delete(s);
    this.kept = undefined;

    if (outcome.kind === 'conflict') {
      this.conflicts += 1;
      this.opts.log.warn(
        { event: 'sync.push.conflict', batch: req.batch, acked: outcome.answer.acked, rewound: plan.rewinds, conflictsInARow: this.conflicts },
        `the hub holds less than it acknowledged before (409): lanes ${plan.rewinds.map((r) => `${r.lane} to ${r.seq}`).join(', ') || 'none'} rewound`,
      );
      if (this.conflicts > MAX_CONFLICTS_IN_A_ROW) return this.failed(outcome, undefined, undefined);
      this.succeeded();
      return NOW;
    }
    this.conflicts = 0;
    this.setAsideInARow = 0;
    // Every lane sent must have moved: a hub that answers 200 but keeps a lane's mark below what it was sent would
    // otherwise get the same request again at once, for ever.
    const progressed = req.lanes.every((l) => outbox.cursor(l.lane) >= l.lastSeq);
    if (!progressed) {
      return this.failed({ kind: 'bad_answer', status: 200 }, undefined, undefined, `the hub answered 200 but did not acknowledge everything sent (acked ${JSON.stringify(outcome.answer.acked)})`);
    }
    this.target = targetAfterSuccess(this.target, { durationMs: ctx.durationMs, timeoutMs: this.timeoutMs, sentBytes: req.uncompressedBytes }, this.targetOpts);
    this.succeeded();
    const iso = this.isolating;
    if (iso !== undefined && LANES.every((lane) => iso.until[lane] === undefined || outbox.cursor(lane) >= (iso.until[lane] ?? 0))) {
      this.isolating = undefined;
      this.opts.log.info({ event: 'sync.push.isolation_over' }, 'every record of the request the hub refused as malformed is now stored or set aside: full requests again');
    }
    this.opts.log.info(
      {
        event: 'sync.push.ok',
        batch: req.batch,
        records: req.records,
        bytes: ctx.wireBytes,
        requestBytes: ctx.requestBytes,
        ms: ctx.durationMs,
        bodyBytes: req.uncompressedBytes,
        lanes: Object.fromEntries(req.lanes.map((l) => [l.lane, l.count])),
        folded: req.folded.length,
        resent: req.deliveries > 1,
        target: this.target,
      },
      `pushed ${req.records} records`,
    );
    return NOW;
  }

  /** 400 bad_request: narrow the requests down, or set the one record aside (isolate.ts). */
  private malformed(outcome: Extract<PushOutcome, { kind: 'malformed' }>, req: PreparedRequest): AttemptResult {
    this.kept = undefined;
    const decision = afterMalformed({
      lanes: req.lanes.map((l) => ({ lane: l.lane, count: l.count })),
      ...(outcome.param === undefined ? {} : { param: outcome.param }),
      setAsideInARow: this.setAsideInARow,
    });
    const hubSaid = describeOutcome(outcome);
    switch (decision.kind) {
      case 'refuse':
        return this.failed(outcome, undefined, undefined, `${hubSaid}; ${decision.why}`);
      case 'narrow': {
        const until: Partial<Record<Lane, number>> = { ...this.isolating?.until };
        for (const l of req.lanes) until[l.lane] = Math.max(until[l.lane] ?? 0, l.lastSeq);
        this.isolating = { maxRecords: decision.maxRecords, until, since: this.isolating?.since ?? this.clock() };
        this.opts.log.warn(
          { event: 'sync.push.malformed', batch: req.batch, records: req.records, param: outcome.param ?? null, hub: outcome.message ?? null, maxRecords: decision.maxRecords },
          `${hubSaid}: sending at most ${decision.maxRecords} records per request to find the record it cannot read`,
        );
        this.lastError = { ts: this.clock(), message: hubSaid };
        return NOW;
      }
      case 'set_aside': {
        const record = req.lanes.find((l) => l.lane === decision.lane)?.first;
        if (record === undefined) return this.failed(outcome, undefined, undefined);
        // Its lane's cursor stays: the hub has not got the record, and a request whose `after` passed it would be a
        // 409. It is left out of the requests that follow; the hub's mark passes it with the lane's next record.
        this.setAsideInARow += 1;
        this.isolating = undefined;
        const reason = outcome.message ?? hubSaid;
        this.opts.setAside.add({ seq: record.seq, lane: decision.lane, kind: record.kind, ts: record.ts, at: this.clock(), reason });
        this.lastError = { ts: this.clock(), message: `record ${record.seq} (${record.kind}) set aside: ${reason}` };
        this.opts.log.error(
          { event: 'sync.push.record_set_aside', seq: record.seq, lane: decision.lane, kind: record.kind, ts: record.ts, param: outcome.param ?? null, hub: reason, inARow: this.setAsideInARow },
          `the hub cannot read record ${record.seq} (${record.kind}) and refused it alone: set aside (it stays in the box's change log and pull feed); the lane goes on`,
        );
        return NOW;
      }
    }
  }

  private succeeded(): void {
    this.backoff = afterSuccess();
    this.failures = 0;
    this.refused = false;
    this.lastFailure = undefined;
    if (this.problem !== undefined) {
      this.opts.log.info({ event: 'sync.problem_cleared', problem: this.problem }, `the hub takes this box's requests again (${this.problem} is over)`);
      this.problem = undefined;
    }
    this.everUp = true;
    this.lastSuccessAt = this.clock();
  }

  /** A failed attempt: backoff (at least `retryAfter`), maybe a smaller target, and `keep` to send again. */
  private failed(outcome: PushOutcome, keep: PreparedRequest | undefined, retryAfter: number | undefined, message?: string): AttemptResult {
    const effects = outcomeEffects(outcome);
    this.kept = keep;
    this.backoff = afterFailure(this.backoff);
    this.failures += 1;
    this.refused = effects.hubRefusedBox;
    const problem = outcome.kind === 'stale_database' ? 'stale_database' : outcome.kind === 'network' && outcome.failure === 'certificate' ? 'certificate_refused' : undefined;
    const failureKey = `${outcome.kind}:${'failure' in outcome ? outcome.failure : ''}:${'status' in outcome ? outcome.status : ''}`;
    const repeated = failureKey === this.lastFailure;
    this.lastFailure = failureKey;
    if (effects.halveTarget) this.target = targetAfterFailure(this.target, outcome.kind === 'network' && outcome.failure === 'timeout' ? 'timeout' : 'reset', this.targetOpts);
    const delayMs = Math.max(backoffDelay(this.backoff, this.random, this.backoffOpts), retryAfter ?? 0);
    const text = problem === 'certificate_refused' && outcome.kind === 'network' ? certificateMessage(outcome.message, this.opts.tlsPin !== undefined) : (message ?? describeOutcome(outcome));
    this.lastError = { ts: this.clock(), message: text };
    if (problem !== this.problem && problem !== undefined) {
      // Once per change: the installer must act; the attempts that follow log at debug.
      this.opts.log.error({ event: `sync.${problem}`, hub: this.url.origin, box: this.opts.boxId, error: text }, text);
    }
    this.problem = problem;
    this.opts.log[repeated && problem !== undefined ? 'debug' : 'warn'](
      {
        event: 'sync.push.failed',
        outcome: outcome.kind,
        ...('status' in outcome ? { status: outcome.status } : {}),
        ...('code' in outcome && outcome.code !== undefined ? { code: outcome.code } : {}),
        ...(outcome.kind === 'network' ? { failure: outcome.failure } : {}),
        ...(keep === undefined ? {} : { batch: keep.batch, records: keep.records }),
        failures: this.failures,
        delayMs,
        target: this.target,
        error: text,
      },
      `push failed: ${text}; next try in ${Math.round(delayMs / 1000)} s`,
    );
    return { next: 'after', delayMs };
  }

  private countBytes(bytes: number): void {
    if (bytes <= 0) return;
    const outbox = this.opts.outbox;
    outbox.saveBudget(addUsage(outbox.budget(), this.clock() + this.offsetMs, bytes, this.opts.timeZone));
  }
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** What the installer reads when the hub's certificate is refused. */
function certificateMessage(detail: string, pinned: boolean): string {
  return pinned
    ? `${detail}. Nothing was sent. If the county changed the hub's certificate key, check the new pin with the county and enrol again ` +
        '(fenghuo enroll --force --hub URL --code CODE --pin sha256/…); otherwise something between the box and the hub is posing as it'
    : `${detail}. Nothing was sent. Enrol again (fenghuo enroll --force) to pin the hub's certificate`;
}
