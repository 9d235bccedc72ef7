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

export interface ModbusSerialBusOptions extends BusTiming {
  readonly id: string;
  /** For logs: `rtu /dev/ttyUSB0` or `tcp 10.0.0.5:502`. */
  readonly endpoint: string;
  readonly openLink: LinkOpener;
  /** Valid unit ids on this kind of line. */
  readonly slaveRange: { readonly min: number; readonly max: number };
  readonly logger: Logger;
  readonly callbacks?: ModbusBusCallbacks;
  /** UTC milliseconds; drives breakers and event timestamps. */
  readonly now?: () => number;
}

interface Job {
  readonly req: ReadRequest;
  readonly resolve: (values: number[]) => void;
  readonly reject: (err: ModbusError) => void;
  /** Wire attempts already made. */
  attempts: number;
  retryTimer?: NodeJS.Timeout;
}

const MAX_RECONNECT_MS = 30_000;
/** Backstop in case modbus-serial never calls back (its own timer normally fires first). */
const GUARD_EXTRA_MS = 1_000;
const WIRE_ERROR_KINDS = new Set(['timeout', 'exception', 'crc', 'port', 'other']);

/**
 * A Modbus bus on modbus-serial: one serial line or one TCP connection, one transaction in flight, a breaker per
 * slave, and a reconnect loop while the port or connection is lost.
 */
export class ModbusSerialBus implements ModbusBus {
  readonly id: string;
  private readonly now: () => number;
  private readonly log: Logger;
  private state: ModbusBusState | 'new' = 'new';
  private link: Link | undefined;
  private readonly queue = new TransactionQueue<Job>();
  private readonly waitingRetry = new Set<Job>();
  private inFlight = false;
  private abortInFlight: ((err: ModbusError) => void) | undefined;
  private readonly breakers = new Map<number, CircuitBreaker>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs: number;
  private openedBefore = false;
  private readonly counts: BusCounters = zeroCounters();

  constructor(private readonly opts: ModbusSerialBusOptions) {
    this.id = opts.id;
    this.now = opts.now ?? Date.now;
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
      this.queue.push({ req, resolve, reject, attempts: 0 }, req.priority);
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
      this.setState('down', message);
      this.scheduleReconnect();
      return;
    }
    if (this.state === 'closed') {
      await link.close().catch(() => undefined);
      return;
    }
    this.link = link;
    if (this.openedBefore) this.counts.reconnects++;
    this.openedBefore = true;
    this.reconnectDelayMs = this.opts.reconnectMs;
    this.setState('open');
    link.onLost((err) => this.onLinkLost(link, err));
    this.pump();
  }

  private onLinkLost(link: Link, err: Error): void {
    if (this.link !== link || this.state === 'closed') return;
    this.link = undefined;
    this.counts.portErrors++;
    const failure = new ModbusError('port', `bus ${this.id}: ${err.message}`);
    this.setState('down', err.message);
    this.failWaiting(failure);
    this.abortInFlight?.(failure);
    void link.close().catch(() => undefined);
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
    const job = this.queue.shift();
    if (!job) return;
    this.inFlight = true;
    void this.runAttempt(job, this.link).finally(() => {
      this.inFlight = false;
      this.pump();
    });
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
    if (err.kind === 'port') {
      job.reject(err);
      this.onLinkLost(link, err);
      return;
    }
    if (err.kind === 'exception') {
      // The slave answered: it is alive, and asking again would give the same answer.
      this.counts.responses++;
      breaker.onSuccess();
      job.reject(err);
      return;
    }
    breaker.onFailure();
    await link.recover(err.kind === 'timeout').catch(() => undefined);
    // A probe is never retried, nor is a slave whose breaker this failure just opened.
    const retry =
      decision === 'allow' && breaker.state === 'closed' && job.attempts <= this.opts.retries && this.state === 'open';
    if (retry) this.retryLater(job);
    else job.reject(err);
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
      const guard = setTimeout(
        () => finish(() => reject(classifyLibError({ errno: 'ETIMEDOUT' }, { bytesSeen: link.bytesSeenSinceWrite() }))),
        this.opts.timeoutMs + GUARD_EXTRA_MS,
      );
      this.abortInFlight = (err) => finish(() => reject(err));
      const write = req.functionCode === 3 ? link.client.writeFC3 : link.client.writeFC4;
      try {
        write.call(link.client, req.slave, req.address, req.count, (err, res) => {
          if (err) {
            const bytesSeen = link.bytesSeenSinceWrite();
            finish(() => reject(classifyLibError(err, { bytesSeen })));
          } else if (res.data.length !== req.count) {
            finish(() => reject(new ModbusError('crc', `bad frame: ${res.data.length} registers for ${req.count} asked`)));
          } else {
            finish(() => resolve(res.data));
          }
        });
      } catch (err) {
        finish(() => reject(classifyLibError(err)));
      }
    });
  }

  private failWaiting(err: ModbusError): void {
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
        now: this.now,
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
