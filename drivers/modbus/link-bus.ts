import type { Logger } from 'pino';
import type { ModbusBusCallbacks, ModbusBusErrorEvent, ModbusBusState } from './bus-events.js';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { classifyLibError } from './classify-error.js';
import type { Link, LinkOpener } from './link.js';
import { TransactionQueue } from './transaction-queue.js';
import { ModbusError, zeroCounters, type BusCounters, type ModbusBus, type ReadRequest } from './types.js';

export interface BusTiming {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly reconnectMs: number;
  readonly breaker: { readonly failureThreshold: number; readonly openMs: number; readonly maxOpenMs: number };
}

export interface LinkBusOptions extends BusTiming {
  readonly id: string;
  /** For logs: `rtu /dev/ttyUSB0` or `tcp 10.0.0.5:502`. */
  readonly endpoint: string;
  readonly openLink: LinkOpener;
  /** Valid unit ids on this kind of line. */
  readonly slaveRange: { readonly min: number; readonly max: number };
  readonly logger: Logger;
  readonly callbacks?: ModbusBusCallbacks;
  /** UTC milliseconds; stamps the events. */
  readonly now?: () => number;
  /**
   * Milliseconds on a clock that never jumps (default `performance.now()`); drives the breakers' open periods, which
   * are durations: on the wall clock a step back of hours kept an open breaker refusing its slave for those hours.
   */
  readonly monoNow?: () => number;
}

interface Job {
  readonly req: ReadRequest;
  readonly resolve: (values: number[]) => void;
  readonly reject: (err: ModbusError) => void;
  /** Wire attempts already made. */
  attempts: number;
  /** Attempts that ended in a damaged reply. */
  crcAttempts: number;
  /** Attempts whose answer was not believed (kind `unconfirmed`). */
  unconfirmedAttempts: number;
  /** Whether it was already put back once after its link went away under it. */
  requeuedAfterLoss: boolean;
  retryTimer?: NodeJS.Timeout;
}

/** Reconnect delays double up to this (or reconnectMs, if larger): a peer that is back is found within seconds. */
const MAX_RECONNECT_MS = 5_000;
/**
 * A damaged reply proves the slave alive and the line time already spent: it is asked again at once, this many
 * times, without touching its breaker (noise is not absence).
 */
export const CRC_RETRIES = 2;
/**
 * An answer not believed (an RTU slave's first after a silence, see LateReplyGuard) proves the slave alive too: it
 * is asked again, without touching its breaker, once the link lets it be asked. The first re-ask is normally
 * believed; the second covers a new silence in between.
 */
export const UNCONFIRMED_RETRIES = 2;
/**
 * While every queued request waits for a slave set aside (an RTU slave whose late answer may still come), how often
 * the link is asked again: a drained late answer frees the slave early, and the link does not announce that.
 */
const SET_ASIDE_RECHECK_MS = 25;
/** Backstop in case a link never settles a transaction (the link's own timers normally end it first). */
const GUARD_EXTRA_MS = 1_000;
const WIRE_ERROR_KINDS = new Set(['timeout', 'exception', 'crc', 'port', 'other']);

/**
 * A Modbus bus over one link (serial line or TCP connection): one transaction in flight, a breaker per slave,
 * retries off the line, and a reconnect loop while the port or connection is lost. Requests queued when a
 * working link drops wait for one immediate reconnect (cheap gateways close after every reply).
 */
export class LinkBus implements ModbusBus {
  readonly id: string;
  private readonly now: () => number;
  private readonly monoNow: () => number;
  private readonly log: Logger;
  private state: ModbusBusState | 'new' = 'new';
  private link: Link | undefined;
  /** A working link was lost and the immediate reopen is under way: requests wait for it. */
  private reopening = false;
  private readonly queue = new TransactionQueue<Job>();
  private readonly waitingRetry = new Set<Job>();
  private inFlight = false;
  private abortInFlight: ((err: ModbusError) => void) | undefined;
  private readonly breakers = new Map<number, CircuitBreaker>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs: number;
  private openedBefore = false;
  /** Whether the current link has carried an answer (only such a link is reopened at once when lost). */
  private linkAnswered = false;
  private readonly counts: BusCounters = zeroCounters();

  constructor(private readonly opts: LinkBusOptions) {
    this.id = opts.id;
    this.now = opts.now ?? Date.now;
    this.monoNow = opts.monoNow ?? (() => performance.now());
    this.log = opts.logger.child({ bus: opts.id });
    this.reconnectDelayMs = opts.reconnectMs;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.setState('connecting');
    await this.tryOpen();
  }

  async stop(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'new') {
      this.state = 'closed';
      return;
    }
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.wakeTimer);
    this.reconnectTimer = undefined;
    const err = new ModbusError('closed', `bus ${this.id} stopped`);
    this.failWaiting(err);
    this.abortInFlight?.(err);
    const link = this.link;
    this.link = undefined;
    this.setState('closed');
    if (link) await link.close().catch(() => undefined);
  }

  read(req: ReadRequest): Promise<number[]> {
    const invalid = this.validate(req);
    if (invalid) return Promise.reject(new ModbusError('other', invalid));
    if (this.state === 'closed' || this.state === 'new') {
      return Promise.reject(new ModbusError('closed', `bus ${this.id} is not running`));
    }
    if (this.state !== 'open') return Promise.reject(new ModbusError('port', `bus ${this.id} is ${this.state}`));
    if (this.breakerFor(req.slave).refusesNow()) return Promise.reject(this.breakerOpenError(req.slave));
    return new Promise<number[]>((resolve, reject) => {
      this.queue.push({ req, resolve, reject, attempts: 0, crcAttempts: 0, unconfirmedAttempts: 0, requeuedAfterLoss: false }, req.priority);
      this.pump();
    });
  }

  counters(): Readonly<BusCounters> {
    return { ...this.counts };
  }

  /** The breaker state of a slave (`closed` for slaves never seen). */
  breakerState(slave: number): CircuitState {
    return this.breakers.get(slave)?.state ?? 'closed';
  }

  // ---- connection ----

  private async tryOpen(): Promise<void> {
    let link: Link;
    try {
      link = await this.opts.openLink();
    } catch (err) {
      if (this.state === 'closed') return;
      const message = err instanceof Error ? err.message : String(err);
      this.log.debug({ event: 'bus.open_failed', endpoint: this.opts.endpoint, err: message }, 'open failed');
      this.reopening = false;
      this.setState('down', message);
      this.failWaiting(new ModbusError('port', `bus ${this.id}: ${message}`));
      this.scheduleReconnect();
      return;
    }
    if (this.state === 'closed') {
      await link.close().catch(() => undefined);
      return;
    }
    const wasDown = this.state === 'down';
    this.link = link;
    this.linkAnswered = false;
    this.reopening = false;
    if (this.openedBefore) this.counts.reconnects++;
    this.openedBefore = true;
    this.reconnectDelayMs = this.opts.reconnectMs;
    this.setState('open');
    // After an outage every slave is worth asking again now, not when its breaker's period runs out.
    if (wasDown) for (const b of this.breakers.values()) b.probeNow();
    link.onLost((err) => this.onLinkLost(link, err));
    this.pump();
  }

  private onLinkLost(link: Link, err: Error): void {
    if (this.link !== link || this.state === 'closed') return;
    this.link = undefined;
    this.counts.portErrors++;
    const failure = new ModbusError('port', `bus ${this.id}: ${err.message}`);
    this.abortInFlight?.(failure);
    void link.close().catch(() => undefined);
    if (this.linkAnswered) {
      // A link that worked is reopened at once, and what is queued waits for it.
      this.log.info({ event: 'bus.reopening', endpoint: this.opts.endpoint, err: err.message }, `bus ${this.id} lost its link; reopening`);
      this.reopening = true;
      void this.tryOpen();
      return;
    }
    this.setState('down', err.message);
    this.failWaiting(failure);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.state === 'closed') return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, Math.max(MAX_RECONNECT_MS, this.opts.reconnectMs));
    this.log.debug({ event: 'bus.reconnect_scheduled', delayMs: delay }, 'reopening later');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.tryOpen();
    }, delay);
  }

  // ---- transactions ----

  private pump(): void {
    if (this.inFlight || this.state !== 'open' || !this.link) return;
    const link = this.link;
    const job = this.queue.shiftFirst((j) => link.waitMs(j.req.slave) === 0);
    if (!job) {
      this.wakeWhenReady(link);
      return;
    }
    this.inFlight = true;
    void this.runAttempt(job, link).finally(() => {
      this.inFlight = false;
      this.pump();
    });
  }

  /** Every queued request is for a slave whose late answer may still come: look again when the first may be asked. */
  private wakeWhenReady(link: Link): void {
    const waits = this.queue.peekAll().map((j) => link.waitMs(j.req.slave));
    if (waits.length === 0) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, Math.max(1, Math.ceil(Math.min(SET_ASIDE_RECHECK_MS, ...waits))));
  }

  private async runAttempt(job: Job, link: Link): Promise<void> {
    const { slave } = job.req;
    const breaker = this.breakerFor(slave);
    const decision = breaker.acquire();
    if (decision === 'reject') {
      job.reject(this.breakerOpenError(slave));
      return;
    }
    job.attempts++;
    this.counts.requests++;
    let err: ModbusError;
    try {
      const values = await this.transact(link, job.req);
      this.counts.responses++;
      this.linkAnswered = true;
      breaker.onSuccess();
      job.resolve(values);
      return;
    } catch (e) {
      err = e instanceof ModbusError ? e : classifyLibError(e);
    }

    if (err.kind === 'closed') {
      job.reject(err);
      return;
    }
    this.countError(err);
    this.emitError(slave, err);
    switch (err.kind) {
      case 'port':
        if (this.reopening && !job.requeuedAfterLoss) {
          // Reads are idempotent: the one cut off by the drop goes again on the new link.
          job.requeuedAfterLoss = true;
          job.attempts--;
          this.queue.pushFront(job, job.req.priority);
        } else job.reject(err);
        return;
      case 'exception':
        // The slave answered: it is alive, and asking again would give the same answer.
        this.counts.responses++;
        this.linkAnswered = true;
        breaker.onSuccess();
        job.reject(err);
        return;
      case 'crc':
        breaker.onSuccess();
        if (job.crcAttempts++ < CRC_RETRIES && this.state === 'open') {
          job.attempts--;
          this.queue.pushFront(job, job.req.priority);
        } else job.reject(err);
        return;
      case 'unconfirmed':
        // Not a wire error (no counter, no error event): the slave answered, and is asked again once the link
        // says it may be (its late answer drained, or its window passed); the neighbours are polled meanwhile.
        this.linkAnswered = true;
        breaker.onSuccess();
        this.log.debug({ event: 'modbus.unconfirmed_answer', slave }, err.message);
        if (job.unconfirmedAttempts++ < UNCONFIRMED_RETRIES && this.state === 'open') {
          job.attempts--;
          this.queue.pushFront(job, job.req.priority);
        } else job.reject(err);
        return;
      default: {
        breaker.onFailure();
        // A probe is never retried, nor is a slave whose breaker this failure just opened.
        const retry =
          decision === 'allow' && breaker.state === 'closed' && job.attempts <= this.opts.retries && this.state === 'open';
        if (retry) this.retryLater(job);
        else job.reject(err);
      }
    }
  }

  /** The retry waits off the line, so neighbours are polled during the backoff. */
  private retryLater(job: Job): void {
    const delay = this.opts.retryBackoffMs * 2 ** (job.attempts - 1);
    this.waitingRetry.add(job);
    job.retryTimer = setTimeout(() => {
      this.waitingRetry.delete(job);
      job.retryTimer = undefined;
      if (this.state !== 'open') {
        job.reject(new ModbusError(this.state === 'closed' ? 'closed' : 'port', `bus ${this.id} is ${this.state}`));
        return;
      }
      this.queue.push(job, job.req.priority);
      this.pump();
    }, delay);
  }

  /** The link's transaction, ended early by a loss or stop, with a backstop should the link never answer. */
  private transact(link: Link, req: ReadRequest): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.abortInFlight = undefined;
        settle();
      };
      // An RTU link may first wait for the line to fall quiet (up to one timeout) before its own timeout starts.
      const guard = setTimeout(
        () => finish(() => reject(new ModbusError('timeout', 'no reply before timeout (bus backstop)'))),
        2 * this.opts.timeoutMs + GUARD_EXTRA_MS,
      );
      this.abortInFlight = (err) => finish(() => reject(err));
      link.transact(req).then(
        (values) => finish(() => resolve(values)),
        (err: unknown) => finish(() => reject(err instanceof ModbusError ? err : classifyLibError(err))),
      );
    });
  }

  private failWaiting(err: ModbusError): void {
    clearTimeout(this.wakeTimer);
    for (const job of this.queue.drain()) job.reject(err);
    for (const job of this.waitingRetry) {
      clearTimeout(job.retryTimer);
      job.reject(err);
    }
    this.waitingRetry.clear();
  }

  // ---- bookkeeping ----

  private breakerFor(slave: number): CircuitBreaker {
    let breaker = this.breakers.get(slave);
    if (!breaker) {
      breaker = new CircuitBreaker({
        ...this.opts.breaker,
        now: this.monoNow,
        onStateChange: (state) => {
          this.log.info({ event: 'modbus.breaker', slave, state }, `breaker ${state} for slave ${slave}`);
          this.call('onBreaker', () => this.opts.callbacks?.onBreaker?.({ busId: this.id, slave, state, ts: this.now() }));
        },
      });
      this.breakers.set(slave, breaker);
    }
    return breaker;
  }

  private breakerOpenError(slave: number): ModbusError {
    return new ModbusError('breaker_open', `slave ${slave} on bus ${this.id} is not answering; skipped until its re-probe`);
  }

  private countError(err: ModbusError): void {
    if (err.kind === 'timeout') this.counts.timeouts++;
    else if (err.kind === 'exception') this.counts.exceptions++;
    else if (err.kind === 'crc') this.counts.crcErrors++;
  }

  private emitError(slave: number, err: ModbusError): void {
    if (!WIRE_ERROR_KINDS.has(err.kind)) return;
    const event: ModbusBusErrorEvent = {
      busId: this.id,
      slave,
      ts: this.now(),
      kind: err.kind as ModbusBusErrorEvent['kind'],
      message: err.message,
    };
    this.log.debug({ event: 'modbus.error', slave, kind: err.kind, code: err.exceptionCode }, err.message);
    this.call('onError', () => this.opts.callbacks?.onError?.(event));
  }

  private setState(state: ModbusBusState, error?: string): void {
    if (this.state === state) return;
    this.state = state;
    const fields = { event: `bus.${state}`, endpoint: this.opts.endpoint, ...(error ? { err: error } : {}) };
    if (state === 'down') this.log.warn(fields, `bus ${this.id} down`);
    else this.log.info(fields, `bus ${this.id} ${state}`);
    this.call('onStatus', () =>
      this.opts.callbacks?.onStatus?.({ busId: this.id, state, ts: this.now(), ...(error ? { error } : {}) }),
    );
  }

  private call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ event: 'bus.callback_failed', callback: name, err: String(err) }, 'bus event callback threw');
    }
  }

  private validate(req: ReadRequest): string | undefined {
    const { min, max } = this.opts.slaveRange;
    if (!Number.isInteger(req.slave) || req.slave < min || req.slave > max) return `slave must be an integer ${min}..${max}`;
    if (req.functionCode !== 3 && req.functionCode !== 4) return 'functionCode must be 3 or 4';
    if (!Number.isInteger(req.count) || req.count < 1 || req.count > 125) return 'count must be an integer 1..125';
    if (!Number.isInteger(req.address) || req.address < 0 || req.address + req.count > 0x10000) {
      return 'address must be an integer 0..65535 and the block must end by 65535';
    }
    if (!Number.isFinite(req.priority)) return 'priority must be a finite number';
    return undefined;
  }
}
