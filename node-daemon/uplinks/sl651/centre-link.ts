import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../core/log.js';
import type { Clock } from '../../core/types.js';
import { afterFailure, afterSuccess, BACKOFF_START, backoffCeiling, type BackoffState } from '../../sync/outbox/backoff.js';
import { WakeableSleep } from '../../sync/wakeable-sleep.js';
import { FrameReader } from './codec/frame-reader.js';
import { encodeFrame, splitPackets } from './codec/frames.js';
import { decodeHead, decodePeriodQuery, encodeHead, encodeReport, encodeStationAddress } from './codec/messages.js';
import { FN, type ObservationGroup, type PeriodQueryMessage, type Sl651Frame } from './codec/model.js';
import { functionName } from './codec/names.js';
import type { Sl651CentreConfig } from './config-schema.js';
import type { Sl651CentreHealth, Sl651LinkCounters } from '../../http/schemas/uplinks.js';
import { STATION_TYPE_CODES } from './config-schema.js';

/** A planned report waiting for its confirmation (outbox-store.ts), oldest first. */
export interface QueuedReport {
  readonly id: number;
  readonly fn: number;
  readonly serial: number;
  readonly observedAt: number;
  readonly groups: readonly ObservationGroup[];
}

/** The durable queue of one centre, as the link sees it. */
export interface LinkOutbox {
  nextUnconfirmed(): QueuedReport | undefined;
  markSent(id: number, at: number): void;
  /** A confirmation from the centre: true when it matched a queued report. */
  confirm(serial: number, fn: number, at: number): boolean;
  queueLength(): number;
  lastConfirmedAt(): number | undefined;
}

/** What the station answers the centre's queries with (query-answers.ts). */
export interface StationAnswers {
  /** 37: the current value of every element. */
  realtime(now: number): readonly ObservationGroup[];
  /** 38: one element's values over a period at a step; none after `now`. */
  period(q: PeriodQueryMessage, now: number): readonly ObservationGroup[];
  /** 4A: the clock policy's word on a time the centre asks the station to take. */
  setClock(requested: number, now: number): { readonly accepted: boolean; readonly reason: string };
}

export interface CentreLinkDeps {
  readonly config: Sl651CentreConfig;
  readonly outbox: LinkOutbox;
  readonly answers: StationAnswers;
  readonly clock: Clock;
  readonly log: Logger;
  /** Random source for the backoff's jitter; Math.random by default. */
  readonly random?: () => number;
}

type Outcome = 'confirmed' | 'nak' | 'timeout' | 'closed';

interface Waiting {
  readonly fn: number;
  readonly serial: number;
  settle(o: Outcome): void;
}

/** Tries of one report on one connection (first send included) before the connection is dropped and made anew. */
const TRIES_PER_CONNECTION = 3;
const MIN_BACKOFF_MS = 1_000;

/**
 * One SL 651 centre link: a TCP client that connects (and reconnects with backoff), sends the queued reports oldest
 * first and one at a time, each until the centre confirms it (ESC/EOT/ACK with its serial; NAK or silence: sent again),
 * keeps the link alive with 2F when idle, and answers the centre's queries (37, 38, 51, 4A). The queue is durable
 * (outbox-store.ts): whatever was not confirmed when the link or the box went down is sent after it comes back.
 */
export class CentreLink {
  private readonly c: Sl651CentreConfig;
  /** The idle wait of a session (until the next keep-alive): ended by wake(), by the socket closing, by stop(). */
  private readonly idle = new WakeableSleep();
  /** The backoff between connection attempts: ended only by stop(), so that neither a queued report nor a stale
   * socket event cuts it short. */
  private readonly pause = new WakeableSleep();
  private socket: Socket | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private state: Sl651CentreHealth['state'] = 'stopped';
  private backoff: BackoffState = BACKOFF_START;
  private connectedSince: number | undefined;
  private nextAttemptAt: number | undefined;
  private lastError: string | undefined;
  /** Monotonic ms (performance.now) of the last frame sent: the keep-alive's idle time must not follow clock steps. */
  private lastSentAt = 0;
  private linkSerial = 0;
  private waiting: Waiting | undefined;
  /** The report last sent on this connection: the only one a confirmation from the centre may confirm. */
  private lastReport: { readonly fn: number; readonly serial: number } | undefined;
  private readonly counters: { -readonly [K in keyof Sl651LinkCounters]: number } = {
    reportsSent: 0,
    reportsConfirmed: 0,
    resends: 0,
    keepAlives: 0,
    queriesAnswered: 0,
    clockSetsRefused: 0,
    connects: 0,
    frameErrors: 0,
  };

  constructor(private readonly deps: CentreLinkDeps) {
    this.c = deps.config;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    this.socket?.destroy();
    this.waiting?.settle('closed');
    this.idle.wake();
    this.pause.wake();
    await this.running;
    this.state = 'stopped';
  }

  /** A report was queued: send it now rather than at the next keep-alive (a backoff under way is not cut short). */
  wake(): void {
    this.idle.wake();
  }

  health(): Sl651CentreHealth {
    const confirmed = this.deps.outbox.lastConfirmedAt();
    const oldest = this.deps.outbox.nextUnconfirmed();
    return {
      id: this.c.id,
      address: `${this.c.host}:${this.c.port}`,
      centre: this.c.centre,
      station: this.c.station.toUpperCase(),
      stationType: STATION_TYPE_CODES[this.c.stationType],
      encoding: this.c.encoding,
      state: this.state,
      queueLength: this.deps.outbox.queueLength(),
      ...(oldest === undefined ? {} : { oldestQueuedAt: oldest.observedAt }),
      ...(confirmed === undefined ? {} : { lastConfirmedAt: confirmed }),
      ...(this.connectedSince === undefined ? {} : { connectedSince: this.connectedSince }),
      ...(this.nextAttemptAt === undefined ? {} : { nextAttemptAt: this.nextAttemptAt }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      counters: { ...this.counters },
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        this.state = 'connecting';
        const socket = await this.open();
        if (this.stopped) break;
        this.counters.connects += 1;
        await this.session(socket);
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
      } finally {
        this.socket?.destroy();
        this.socket = undefined;
        this.connectedSince = undefined;
        this.waiting = undefined;
        this.lastReport = undefined;
      }
      if (this.stopped) break;
      this.backoff = afterFailure(this.backoff);
      const ceiling = backoffCeiling(this.backoff, { minMs: MIN_BACKOFF_MS, maxMs: this.c.maxBackoffMs });
      const delay = Math.max(MIN_BACKOFF_MS / 2, Math.floor((this.deps.random ?? Math.random)() * ceiling));
      this.state = 'backoff';
      this.nextAttemptAt = this.deps.clock() + delay;
      let queued: number | undefined;
      try {
        queued = this.deps.outbox.queueLength();
      } catch {
        // A failing database must not end the loop (its rejection would go unhandled): the log line goes without it.
      }
      this.deps.log.warn(
        { event: 'sl651.link_down', centre: this.c.id, error: this.lastError, retryInMs: delay, queued },
        `SL 651 centre ${this.c.id} unreachable; retry in ${Math.round(delay / 1000)} s`,
      );
      if (!this.stopped) await this.pause.sleep(delay);
      this.nextAttemptAt = undefined;
    }
    this.state = 'stopped';
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.c.host, port: this.c.port });
      // Known at once, so that stop() during the connect ends it rather than waiting for its timeout.
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(new Error(`connect timed out after ${this.c.confirmTimeoutMs} ms`)), this.c.confirmTimeoutMs);
      const failed = (err?: Error): void => {
        clearTimeout(timer);
        socket.removeListener('connect', connected);
        reject(err ?? new Error('connection closed before it was made'));
      };
      const connected = (): void => {
        clearTimeout(timer);
        socket.removeListener('error', failed);
        socket.removeListener('close', closed);
        resolve(socket);
      };
      const closed = (): void => failed();
      socket.once('connect', connected);
      socket.once('error', failed);
      socket.once('close', closed);
    });
  }

  private async session(socket: Socket): Promise<void> {
    this.socket = socket;
    this.lastReport = undefined;
    const reader = new FrameReader();
    let closed = false;
    const closedNow = (): void => {
      // A socket's 'close' comes a tick after the loop destroyed it: by then it is no longer this link's socket, and
      // must not settle or wake what a later connection (or the backoff) waits for.
      if (closed || this.socket !== socket) return;
      closed = true;
      this.waiting?.settle('closed');
      this.idle.wake();
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const r of reader.push(chunk)) {
          if (r.ok) this.onFrame(r.frame);
          else this.frameError(r.error.code, r.error.message);
        }
      } catch (err) {
        // Never out of a socket event (that would end the process): the stream's state is unknown, so start anew.
        const message = err instanceof Error ? err.message : String(err);
        this.deps.log.error({ event: 'sl651.link_error', centre: this.c.id, err: message }, `SL 651 centre ${this.c.id}: ${message}; reconnecting`);
        socket.destroy(err instanceof Error ? err : new Error(message));
      }
    });
    socket.on('error', (err) => {
      if (this.socket === socket) this.lastError = err.message;
      closedNow();
    });
    socket.on('close', (hadError: boolean) => {
      if (!hadError && this.socket === socket && !this.stopped) this.lastError = 'the centre closed the connection';
      closedNow();
    });
    this.state = 'connected';
    this.connectedSince = this.deps.clock();
    this.lastSentAt = performance.now();
    this.deps.log.info({ event: 'sl651.link_up', centre: this.c.id, address: `${this.c.host}:${this.c.port}`, queued: this.deps.outbox.queueLength() }, `SL 651 centre ${this.c.id} connected`);

    let tries = 0;
    let lastId: number | undefined;
    while (!this.stopped && !closed) {
      const next = this.deps.outbox.nextUnconfirmed();
      if (next === undefined) {
        const idleMs = performance.now() - this.lastSentAt;
        const keepAliveMs = this.c.keepAliveS * 1000;
        if (idleMs >= keepAliveMs) {
          // Not sent (the socket is gone, its 'close' not yet here): the session is over, not a loop without a wait.
          if (!this.send(FN.keepAlive, encodeHead({ serial: this.nextLinkSerial(), sentAt: this.wireNow() }, this.c.encoding, this.wire()), 'ETX')) break;
          this.counters.keepAlives += 1;
          continue;
        }
        await this.idle.sleep(keepAliveMs - idleMs);
        continue;
      }
      tries = next.id === lastId ? tries + 1 : 1;
      lastId = next.id;
      if (tries > TRIES_PER_CONNECTION) throw new Error(`report ${next.serial} (${functionName(next.fn)}) not confirmed after ${TRIES_PER_CONNECTION} tries`);
      const outcome = await this.sendReport(next, tries > 1);
      if (outcome === 'confirmed') {
        tries = 0;
        this.backoff = afterSuccess();
        this.lastError = undefined;
      } else if (outcome === 'closed') {
        break;
      }
    }
  }

  private async sendReport(report: QueuedReport, resend: boolean): Promise<Outcome> {
    const now = this.deps.clock();
    let body: Uint8Array;
    try {
      body = encodeReport(
        { serial: report.serial, sentAt: this.wireNow(), station: this.c.station.toUpperCase(), stationType: STATION_TYPE_CODES[this.c.stationType], groups: report.groups },
        this.c.encoding,
        this.wire(),
      );
    } catch (err) {
      // The station's clock cannot go on the wire (outside 2000-2099): the report is fine, the link is not; it waits
      // (the session ends, the link retries after its backoff) rather than being thrown away with all the others.
      if (!this.headEncodes()) throw new Error(`the station clock cannot be sent (${String(err)})`);
      // A report SL 651 cannot carry would block the queue for ever: it is set aside, loudly, and the next one goes.
      this.deps.log.error({ event: 'sl651.report_unencodable', centre: this.c.id, serial: report.serial, fn: report.fn.toString(16), err: String(err) }, `SL 651 report ${report.serial} cannot be encoded; set aside`);
      // One the outbox would not set aside would come straight back: a loop without a wait; the session ends instead.
      if (!this.deps.outbox.confirm(report.serial, report.fn, now)) throw new Error(`report ${report.serial} cannot be encoded nor set aside`);
      return 'confirmed';
    }
    const confirmed = new Promise<Outcome>((resolve) => {
      let done = false;
      const timer = setTimeout(() => settle('timeout'), this.c.confirmTimeoutMs);
      const settle = (o: Outcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.waiting === entry) this.waiting = undefined;
        resolve(o);
      };
      const entry: Waiting = { fn: report.fn, serial: report.serial, settle };
      this.waiting = entry;
    });
    this.lastReport = { fn: report.fn, serial: report.serial };
    if (!this.send(report.fn, body, 'ETX')) {
      this.waiting?.settle('closed');
      return confirmed;
    }
    this.deps.outbox.markSent(report.id, now);
    this.counters.reportsSent += 1;
    if (resend) this.counters.resends += 1;
    this.deps.log.debug({ event: 'sl651.report_sent', centre: this.c.id, fn: report.fn.toString(16), serial: report.serial, observedAt: report.observedAt, resend }, 'SL 651 report sent');
    const outcome = await confirmed;
    if (outcome === 'timeout' || outcome === 'nak') {
      this.deps.log.warn({ event: 'sl651.report_unconfirmed', centre: this.c.id, serial: report.serial, outcome }, `SL 651 report ${report.serial} ${outcome === 'nak' ? 'refused (NAK)' : 'not confirmed in time'}; sending it again`);
    }
    return outcome;
  }

  private onFrame(frame: Sl651Frame): void {
    if (frame.direction !== 'down') return this.frameError('body', `an uplink frame (fn ${frame.fn.toString(16)}) from the centre`);
    if (frame.station.toUpperCase() !== this.c.station.toUpperCase() || frame.centre !== this.c.centre) {
      return this.frameError('address', `a frame for station ${frame.station} / centre ${frame.centre}`);
    }
    if (frame.password !== parseInt(this.c.password, 16)) return this.frameError('password', `a frame with password ${frame.password.toString(16).padStart(4, '0')}`);
    try {
      if (frame.end === 'ENQ') return this.answer(frame);
      const head = decodeHead(frame.body, this.c.encoding, this.wire());
      if (frame.end === 'NAK') {
        // A NAK names the serial it refuses in most centres; some send 0: it is about the frame just sent either way.
        if (this.waiting !== undefined && this.waiting.fn === frame.fn) this.waiting.settle('nak');
        return;
      }
      if (frame.end === 'ESC' || frame.end === 'EOT' || frame.end === 'ACK') {
        // Only the report last sent can be confirmed (also late, after its timeout: then it is not sent again). Any
        // other serial would confirm a report the centre never had (one still queued with that serial), losing it.
        const sent = this.lastReport;
        if (sent === undefined || sent.serial !== head.serial || sent.fn !== frame.fn) {
          this.deps.log.debug({ event: 'sl651.confirmation_ignored', centre: this.c.id, fn: frame.fn.toString(16), serial: head.serial }, 'SL 651 confirmation of no report in flight ignored');
          return;
        }
        const matched = this.deps.outbox.confirm(head.serial, frame.fn, this.deps.clock());
        if (matched) this.counters.reportsConfirmed += 1;
        if (this.waiting !== undefined && this.waiting.serial === head.serial && this.waiting.fn === frame.fn) this.waiting.settle('confirmed');
      }
    } catch (err) {
      this.frameError('body', err instanceof Error ? err.message : String(err));
    }
  }

  /** The centre's queries: answered at once, same function code, same serial, ending ETX. */
  private answer(frame: Sl651Frame): void {
    const now = this.deps.clock();
    const station = this.c.station.toUpperCase();
    const stationType = STATION_TYPE_CODES[this.c.stationType];
    const head = decodeHead(frame.body, this.c.encoding, this.wire());
    const reply = { serial: head.serial, sentAt: this.wireNow() };
    let body: Uint8Array;
    switch (frame.fn) {
      case FN.queryRealtime:
        body = encodeReport({ ...reply, station, stationType, groups: this.deps.answers.realtime(now) }, this.c.encoding, this.wire());
        break;
      case FN.queryPeriod: {
        const q = decodePeriodQuery(frame.body, this.c.encoding, this.wire());
        body = encodeReport({ ...reply, station, stationType, groups: this.deps.answers.period(q, now) }, this.c.encoding, this.wire());
        break;
      }
      case FN.queryClock:
        body = encodeStationAddress({ ...reply, station }, this.c.encoding, this.wire());
        break;
      case FN.setClock: {
        const decision = this.deps.answers.setClock(head.sentAt, now);
        const fields = { event: decision.accepted ? 'sl651.clock_set' : 'sl651.clock_set_refused', centre: this.c.id, requested: new Date(head.sentAt).toISOString(), boxClock: new Date(now).toISOString(), reason: decision.reason };
        if (decision.accepted) this.deps.log.info(fields, `SL 651 centre ${this.c.id} set the clock: ${decision.reason}`);
        else {
          this.counters.clockSetsRefused += 1;
          this.deps.log.warn(fields, `SL 651 centre ${this.c.id} asked to set the clock to ${fields.requested}: refused, ${decision.reason}`);
        }
        // The answer carries the station's clock as it is: the centre sees whether it was taken.
        body = encodeStationAddress({ ...reply, sentAt: this.wireNow(), station }, this.c.encoding, this.wire());
        break;
      }
      default:
        this.deps.log.info({ event: 'sl651.query_unsupported', centre: this.c.id, fn: frame.fn.toString(16) }, `SL 651 centre ${this.c.id} asked ${functionName(frame.fn)}, which this station does not answer`);
        return;
    }
    this.send(frame.fn, body, 'ETX');
    this.counters.queriesAnswered += 1;
    this.deps.log.info({ event: 'sl651.query_answered', centre: this.c.id, fn: frame.fn.toString(16), serial: head.serial }, `SL 651 centre ${this.c.id}: ${functionName(frame.fn)} answered`);
  }

  /** False when there is no open socket to send on. */
  private send(fn: number, body: Uint8Array, end: 'ETX'): boolean {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return false;
    const head = { encoding: this.c.encoding, direction: 'up' as const, centre: this.c.centre, station: this.c.station.toUpperCase(), password: parseInt(this.c.password, 16), fn };
    const frames = end === 'ETX' ? splitPackets(head, body) : [{ ...head, body, end }];
    for (const f of frames) socket.write(encodeFrame(f));
    this.lastSentAt = performance.now();
    return true;
  }

  /** Whether a head with the station's current time can be encoded (false: the clock is outside what SL 651 carries). */
  private headEncodes(): boolean {
    try {
      encodeHead({ serial: 1, sentAt: this.wireNow() }, this.c.encoding, this.wire());
      return true;
    } catch {
      return false;
    }
  }

  private frameError(code: string, detail: string): void {
    this.counters.frameErrors += 1;
    this.deps.log.warn({ event: 'sl651.frame_error', centre: this.c.id, code, detail }, `SL 651 centre ${this.c.id}: bad frame (${code}): ${detail}`);
  }

  /** The wire carries whole seconds. */
  private wireNow(): number {
    return Math.floor(this.deps.clock() / 1000) * 1000;
  }

  private nextLinkSerial(): number {
    this.linkSerial = (this.linkSerial % 0xffff) + 1;
    return this.linkSerial;
  }

  private wire(): { readonly utcOffsetMinutes: number } {
    return { utcOffsetMinutes: this.c.utcOffsetMinutes };
  }
}
