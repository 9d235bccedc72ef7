/**
 * The downstream orders loop (docs/sync.md, "Downstream"): long-polls the hub's `GET /api/v1/sync/orders?after=
 * CURSOR&waitS=N` with the box's signed transport (push/transport.ts `signedRequest`: signed with the box key, the
 * answer's county signature checked and bound to the request), then takes each order in seq order:
 *
 *   verifyOrder (county signature over the order's own text, addressed to this box, not seen before, not expired by
 *   the hub-corrected clock) → refused: recorded, counted and logged `sync.order_refused` with the reason, nothing
 *   done; verified: handed to its handler (act-on-order.ts) → the outcome recorded with the cursor in one
 *   transaction (order-log.ts), so the cursor passes an order only once its outcome is on disk, and an order id with
 *   an outcome is never acted on again.
 *
 * A handler that fails (a fault of the box) stops the batch: the cursor stays before it and the order comes again
 * after a backoff, up to MAX_ATTEMPTS; then its failure is recorded and the box goes on. An unreachable hub, an
 * answer not signed by the county, a refusal: backoff with full jitter (outbox/backoff.ts). Nothing is shared with
 * the push loop: its own transport instance (a long-poll must not hold the push loop's one connection), its own
 * clock offset, its own state.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../core/log.js';
import { systemClock, type Clock } from '../../core/types.js';
import { afterFailure, afterSuccess, BACKOFF_START, backoffDelay, type BackoffOptions, type BackoffState } from '../outbox/backoff.js';
import { clockOffsetFromExchange, verifyOrder, type Order, type OrderRefusal, type SignedOrder, type SigningKey } from '../protocol/index.js';
import { ORDERS_PATH, parseOrdersAnswer, type OrdersAnswer } from '../protocol/orders-wire.js';
import { NodeHttpTransport, signedRequest, type SignedExchange, type Transport } from '../push/transport.js';
import { actOnOrder } from './act-on-order.js';
import type { OrderHandlers, OrderOutcome } from './handler.js';
import type { OrderLog } from './order-log.js';
import { ordersLinkState, type OrdersHealth, type OrdersLastOrder } from './orders-health.js';
import { WakeableSleep } from '../wakeable-sleep.js';

export const ORDERS_DEFAULTS = {
  /** How long the hub holds a long-poll (it caps this at 30). */
  waitS: 25,
  /** Beyond the wait, how long the answer may take. */
  requestTimeoutMs: 30_000,
  /** Answers up to this size (a page of orders, settings sections and manifests included). */
  maxResponseBytes: 8 * 1024 * 1024,
};

/** Deliveries of an order whose handler fails before its failure is recorded for good. */
export const MAX_ATTEMPTS = 5;

const PRUNE_EVERY_MS = 3_600_000;

export interface OrdersClientOptions {
  readonly log: OrderLog;
  readonly hubUrl: string;
  readonly boxId: string;
  readonly boxKey: SigningKey;
  readonly countyKey: KeyObject;
  readonly countyKeyId: string;
  readonly handlers: OrderHandlers;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Default: a NodeHttpTransport of its own (with the enrolment's TLS pin). */
  readonly transport?: Transport;
  readonly tlsPin?: string;
  readonly waitS?: number;
  readonly requestTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  readonly userAgent?: string;
  /** Called every PRUNE_EVERY_MS with the time: forget what is past keeping (the notices too). */
  readonly prune?: (now: number) => void;
}

type Step = { readonly delayMs: number } | 'stop';

export class OrdersClient {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly transport: Transport;
  private readonly waitS: number;
  private readonly timeoutMs: number;

  private running = false;
  private loop: Promise<void> | undefined;
  private stopper = new AbortController();
  private readonly pause = new WakeableSleep();

  private backoff: BackoffState = BACKOFF_START;
  private failures = 0;
  private refusedByHub = false;
  private answered = false;
  private offsetMs = 0;
  private clockRetried = false;
  private lastAnswerAt: number | undefined;
  private lastError: { ts: number; message: string } | undefined;
  private lastOrder: OrdersLastOrder | undefined;
  private readonly outcomes: Partial<Record<OrderOutcome['status'], number>> = {};
  private readonly refusals: Partial<Record<OrderRefusal, number>> = {};
  private readonly attempts = new Map<string, number>();
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: OrdersClientOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.transport = opts.transport ?? new NodeHttpTransport(opts.tlsPin === undefined ? {} : { tlsPin: opts.tlsPin });
    this.waitS = opts.waitS ?? ORDERS_DEFAULTS.waitS;
    this.timeoutMs = opts.requestTimeoutMs ?? ORDERS_DEFAULTS.requestTimeoutMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopper = new AbortController();
    this.opts.logger.info(
      { event: 'sync.orders.started', hub: new URL(this.opts.hubUrl).origin, box: this.opts.boxId, cursor: this.opts.log.cursor(), waitS: this.waitS },
      `taking county orders from ${new URL(this.opts.hubUrl).origin}`,
    );
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopper.abort();
    this.pause.wake();
    await this.loop;
    this.loop = undefined;
    this.transport.close();
  }

  status(): OrdersHealth {
    return {
      state: ordersLinkState({ answered: this.answered, failures: this.failures, refusedByHub: this.refusedByHub }),
      cursor: this.opts.log.cursor(),
      ...(this.lastAnswerAt === undefined ? {} : { lastAnswerAt: this.lastAnswerAt }),
      ...(this.lastError === undefined ? {} : { lastError: { ...this.lastError } }),
      ...(this.lastOrder === undefined ? {} : { lastOrder: { ...this.lastOrder } }),
      outcomes: { ...this.outcomes },
      refusals: { ...this.refusals },
    };
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.maybePrune();
      let step: Step;
      try {
        step = await this.poll();
      } catch (err) {
        step = this.failed(`internal: ${err instanceof Error ? err.message : String(err)}`, false);
      }
      if (step === 'stop' || !this.running) break;
      if (step.delayMs > 0) await this.pause.sleep(step.delayMs);
    }
  }

  private maybePrune(): void {
    const now = this.clock();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    try {
      const forgotten = this.opts.log.prune(now);
      this.opts.prune?.(now);
      if (forgotten > 0) this.opts.logger.debug({ event: 'sync.orders.pruned', forgotten }, 'old orders forgotten');
    } catch (err) {
      this.opts.logger.warn({ event: 'sync.orders.prune_failed', err: String(err) }, 'forgetting old orders failed');
    }
  }

  // ---- one long-poll ----

  private async poll(): Promise<Step> {
    const after = this.opts.log.cursor();
    // The first ask after a start or a failure does not wait: the link's state is known at once, the backlog comes.
    const waitS = this.answered && this.failures === 0 ? this.waitS : 0;
    const ex = await signedRequest({
      transport: this.transport,
      hub: this.opts.hubUrl,
      method: 'GET',
      path: ORDERS_PATH,
      query: { after, waitS },
      key: this.opts.boxKey,
      countyKeyId: this.opts.countyKeyId,
      countyKey: this.opts.countyKey,
      clock: this.clock,
      offsetMs: this.offsetMs,
      userAgent: this.opts.userAgent ?? 'fenghuo-box',
      timeoutMs: waitS * 1000 + this.timeoutMs,
      signal: this.stopper.signal,
      maxResponseBytes: ORDERS_DEFAULTS.maxResponseBytes,
    });
    const res = ex.result;
    if (!res.ok) return res.failure === 'aborted' ? 'stop' : this.failed(`no answer from the hub (${res.failure}: ${res.message})`, false);
    if (ex.verified === undefined || !ex.verified.ok) {
      return this.failed(`the hub's answer (HTTP ${res.status}) is not signed by the county key for this request (${ex.verified?.ok === false ? ex.verified.reason : 'unchecked'})`, false);
    }
    this.learnOffset(ex);
    if (res.status === 200) {
      const answer = parseOrdersAnswer(res.body);
      if (answer === undefined) return this.failed('the hub\'s orders answer is not {orders, next, hubTime}', false);
      this.answered = true;
      this.clockRetried = false;
      this.lastAnswerAt = this.clock();
      const taken = await this.take(answer);
      if (!taken.ok) return this.failed(taken.message, false);
      this.backoff = afterSuccess();
      this.failures = 0;
      this.refusedByHub = false;
      return { delayMs: 0 };
    }
    const code = errorCode(res.body);
    if (res.status === 401 && (code === 'too_old' || code === 'from_future') && !this.clockRetried) {
      this.clockRetried = true;
      this.opts.logger.warn({ event: 'sync.orders.clock_refused', code, offsetMs: this.offsetMs }, `the hub refused the request's time (${code}); asking again with the hub's time`);
      return { delayMs: 0 };
    }
    const hubRefused = res.status === 401 || res.status === 403;
    const retryAfter = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers['retry-after']) : undefined;
    return this.failed(`the hub answered ${res.status}${code === undefined ? '' : ` ${code}`}`, hubRefused, retryAfter);
  }

  private learnOffset(ex: SignedExchange): void {
    if (ex.verified === undefined || !ex.verified.ok || !ex.result.ok) return;
    // A long-poll's round trip is mostly waiting at the hub: hubTime was read as the answer left, so it is compared
    // with when the answer arrived, not with the middle of the exchange.
    const hubTime = hubTimeOf(ex.result.body);
    const offset =
      hubTime === undefined
        ? clockOffsetFromExchange({ sentAtMs: ex.sentAt, receivedAtMs: ex.receivedAt, peerCreatedSec: ex.verified.created }).offsetMs
        : Math.round(hubTime - ex.receivedAt);
    if (Math.abs(offset - this.offsetMs) > 2_000) {
      this.opts.logger.info({ event: 'sync.orders.clock_offset', offsetMs: offset, previousMs: this.offsetMs }, `the hub's clock is ${offset} ms from the box's`);
    }
    this.offsetMs = offset;
  }

  /** Takes the answer's orders in order; stops at a failing handler (the cursor stays before it). */
  private async take(answer: OrdersAnswer): Promise<{ ok: true } | { ok: false; message: string }> {
    for (const signed of answer.orders) {
      const r = await this.takeOne(signed);
      if (!r.ok) return r;
    }
    if (answer.next !== this.opts.log.cursor()) this.opts.log.setCursor(answer.next, this.clock());
    return { ok: true };
  }

  private async takeOne(signed: SignedOrder): Promise<{ ok: true } | { ok: false; message: string }> {
    const receivedAt = this.clock();
    const check = verifyOrder(signed, {
      countyKey: this.opts.countyKey,
      countyKeyId: this.opts.countyKeyId,
      boxId: this.opts.boxId,
      now: receivedAt + this.offsetMs,
      seen: (id) => this.opts.log.seen(id),
    });
    if (!check.ok) {
      // Only a verified signature makes the order's own fields worth keeping (`id` is set only then).
      const order = check.id === undefined ? undefined : (JSON.parse(signed.order) as Order);
      this.opts.log.record(
        { hubSeq: signed.seq, receivedAt, ...(order === undefined ? {} : { orderId: order.id, kind: order.kind, by: order.by, issuedAt: order.issuedAt, expiresAt: order.expiresAt }) },
        { refusal: check.reason, detail: check.detail },
        signed.seq,
      );
      this.refusals[check.reason] = (this.refusals[check.reason] ?? 0) + 1;
      this.lastOrder = { id: order?.id ?? null, kind: order?.kind ?? null, seq: signed.seq, result: `refused:${check.reason}`, at: receivedAt };
      this.opts.logger.warn(
        { event: 'sync.order_refused', reason: check.reason, seq: signed.seq, keyid: signed.keyid.slice(0, 128), ...(order === undefined ? {} : { id: order.id, kind: order.kind }), detail: check.detail, count: this.refusals[check.reason] },
        `county order refused (${check.reason}): ${check.detail}`,
      );
      return { ok: true };
    }
    const order = check.order;
    const outcome = await actOnOrder(order, this.opts.handlers);
    if (outcome.status === 'failed') {
      const attempts = (this.attempts.get(order.id) ?? 0) + 1;
      this.attempts.set(order.id, attempts);
      if (attempts < MAX_ATTEMPTS) {
        this.opts.logger.error(
          { event: 'sync.order_failed', id: order.id, kind: order.kind, seq: signed.seq, attempt: attempts, detail: outcome.detail },
          `county order ${order.id} (${order.kind}) failed; it is tried again`,
        );
        return { ok: false, message: `order ${order.id} (${order.kind}) failed: ${outcome.detail ?? 'no detail'}` };
      }
    }
    this.attempts.delete(order.id);
    const rec = { hubSeq: signed.seq, orderId: order.id, kind: order.kind, by: order.by, issuedAt: order.issuedAt, expiresAt: order.expiresAt, receivedAt };
    this.opts.log.record(rec, { outcome }, signed.seq);
    this.outcomes[outcome.status] = (this.outcomes[outcome.status] ?? 0) + 1;
    this.lastOrder = { id: order.id, kind: order.kind, seq: signed.seq, result: outcome.status, at: receivedAt };
    const level = outcome.status === 'applied' || outcome.status === 'accepted' ? 'info' : outcome.status === 'refused' ? 'warn' : 'error';
    this.opts.logger[level](
      { event: 'sync.order', id: order.id, kind: order.kind, seq: signed.seq, by: order.by, outcome: outcome.status, ...(outcome.detail === undefined ? {} : { detail: outcome.detail }) },
      `county order ${order.id} (${order.kind}) ${outcome.status}${outcome.detail === undefined ? '' : `: ${outcome.detail}`}`,
    );
    return { ok: true };
  }

  private failed(message: string, hubRefused: boolean, retryAfter?: number): Step {
    this.backoff = afterFailure(this.backoff);
    this.failures += 1;
    this.refusedByHub = hubRefused;
    const delayMs = Math.max(backoffDelay(this.backoff, this.random, this.opts.backoff ?? {}), retryAfter ?? 0);
    this.lastError = { ts: this.clock(), message };
    this.opts.logger.warn(
      { event: 'sync.orders.failed', failures: this.failures, delayMs, refusedByHub: hubRefused, error: message },
      `county orders: ${message}; asking again in ${Math.round(delayMs / 1000)} s`,
    );
    return { delayMs };
  }
}

function errorCode(body: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

function hubTimeOf(body: Uint8Array): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { hubTime?: unknown };
    return typeof parsed.hubTime === 'number' && Number.isFinite(parsed.hubTime) ? parsed.hubTime : undefined;
  } catch {
    return undefined;
  }
}

function retryAfterMs(v: string | string[] | undefined): number | undefined {
  const text = Array.isArray(v) ? v[0] : v;
  if (text === undefined || !/^\d{1,6}$/.test(text.trim())) return undefined;
  return Number(text.trim()) * 1000;
}
