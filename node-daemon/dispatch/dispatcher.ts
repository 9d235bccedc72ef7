import type { Logger } from 'pino';
import { Subject, type Subscription } from 'rxjs';
import { PlayoutQueue, type PlayoutEvent, type PlayoutItem } from '../../broadcast/playout/playout-queue.js';
import { playWav, type PlayResult } from '../../drivers/audio/player.js';
import { IoBoardError, type IoBoard, type RelayResult } from '../../drivers/io-board/io-board.js';
import type { LedBoard, LedResult, LedTextOptions } from '../../drivers/led/led-board.js';
import type { AlarmService } from '../alarms/store/alarm-service.js';
import type { AlarmLevel } from '../alarms/types.js';
import type { AlarmEvent, EventHub } from '../core/events.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import { DEFAULT_SOUND_RELAYS, PUBLIC_KINDS, desiredOutputs, drivesOutputs, type DesiredOutputs, type DesiredProgramme, type RecentAllClear } from './desired.js';
import { OutputFaults } from './output-faults.js';
import type { LedBoardSnapshot, OutputEvent, OutputsSnapshot, RelaySnapshot, SpeakerSnapshot } from './outputs-snapshot.js';
import type { DispatchPlan } from './plan-schema.js';
import { ProgrammeAudio } from './programme-audio.js';

export interface DispatchSpeaker {
  readonly id: string;
  /** ALSA device or `file:/abs/path.wav`. */
  readonly device: string;
  /** espeak-ng voice (default cmn). */
  readonly voice?: string;
  /** Words per minute (default 140). */
  readonly rate?: number;
  /** Relay name powering this speaker's amplifier: on before each play, off after. */
  readonly amplifierRelay?: string;
}

export interface DispatchLedBoard {
  readonly id: string;
  readonly board: LedBoard;
  /** Area, effect, speed of the alarm text (default: the driver's, whole screen). */
  readonly textOptions?: LedTextOptions;
}

export interface DispatcherOptions {
  readonly plans: DispatchPlan;
  readonly timeZone: string;
  readonly siteNames: Readonly<Record<string, string>>;
  /** Sensor id → name for `{sensor}` in templates; default the id. */
  readonly sensorNames?: Readonly<Record<string, string>>;
  readonly alarms: AlarmService;
  readonly hub: EventHub;
  readonly clock: Clock;
  readonly log: Logger;
  /** Shared with the inputs: the dispatcher never starts or stops it. */
  readonly ioBoard?: IoBoard;
  /** Relay name → pin on the I/O board. */
  readonly relays: Readonly<Record<string, number>>;
  readonly speakers: readonly DispatchSpeaker[];
  /** The dispatcher never closes these. */
  readonly ledBoards: readonly DispatchLedBoard[];
  /** Speech cache, rendered sirens and programmes live under here. */
  readonly audioDir: string;
  /** Relays that make sound, off once a `silenceOnAck` alarm is acknowledged. Default siren, amplifier and every amplifierRelay. */
  readonly soundRelays?: readonly string[];
  /** How often failed outputs are tried again (and the desired state re-derived). Default 10 000 ms. */
  readonly retryMs?: number;
  /** An I/O board not connected this long after start is an output fault. Default 10 000 ms. */
  readonly ioBoardGraceMs?: number;
  /** How long the LED boards show an all-clear. Default 10 minutes. */
  readonly allClearShowMs?: number;
  /** Environment of the audio tools (PATH). */
  readonly audioEnv?: NodeJS.ProcessEnv;
}

export const IO_BOARD_OUTPUT_ID = 'io-board';

/** An operator's request names an output this box does not have (`param` is the request field, e.g. `speakers[1]`). */
export class DispatchRequestError extends Error {
  constructor(
    readonly param: string,
    message: string,
    /** `none`: the box has no output of this kind at all. */
    readonly reason: 'unknown' | 'none' = 'unknown',
  ) {
    super(message);
    this.name = 'DispatchRequestError';
  }
}

export interface AnnounceRequest {
  /** What to say (Mandarin, spoken by espeak-ng with each speaker's voice). */
  readonly text: string;
  /** Speaker ids; default every speaker. */
  readonly speakers?: readonly string[];
  /** The signed-in account (user name or `token:<id>`) asking; journalled with the announcement. */
  readonly account?: string;
  /** On behalf of whom (free text), when given. */
  readonly by?: string;
}

export interface ShowTextRequest {
  readonly text: string;
  /** LED board ids; default every board. */
  readonly boards?: readonly string[];
  /** How long the text stays (default 10). */
  readonly minutes?: number;
  /** The signed-in account (user name or `token:<id>`) asking; journalled with the text. */
  readonly account?: string;
  /** On behalf of whom (free text), when given. */
  readonly by?: string;
}

/** How long an operator's LED text stays when no duration is given. */
export const DEFAULT_NOTICE_MINUTES = 10;

interface RelayRec {
  readonly name: string;
  readonly pin: number;
  /** undefined until first commanded. */
  commanded: boolean | undefined;
  confirmed: boolean;
  confirmedAt: number | null;
  lastError: string | null;
  /** Only the newest command's result counts. */
  gen: number;
}

interface LedRec {
  readonly id: string;
  readonly board: LedBoard;
  readonly textOptions: LedTextOptions | undefined;
  want: string | null;
  /** What was last sent; undefined before the first command. */
  sent: string | null | undefined;
  acknowledged: boolean;
  failed: boolean;
  lastError: string | null;
  at: number | null;
  busy: boolean;
  /** An operator's text, shown while no alarm (or all-clear) text is, until `until` (UTC ms). */
  notice: { readonly text: string; readonly until: number } | null;
}

interface Enqueued {
  readonly signature: string;
  readonly oneShot: boolean;
}

interface SpeakerRec {
  readonly cfg: DispatchSpeaker;
  readonly queue: PlayoutQueue<DesiredProgramme>;
  readonly enqueued: Map<string, Enqueued>;
  state: 'idle' | 'playing';
  alarmKey: string | null;
  level: AlarmLevel | null;
  lastError: string | null;
  at: number | null;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The items named (in the order named, each once), or all of them when no names are given. */
function pick<T>(items: readonly T[], idOf: (t: T) => string, names: readonly string[] | undefined, param: string, noun: string): T[] {
  if (names === undefined) {
    if (items.length === 0) throw new DispatchRequestError(param, `this box has no ${noun}s configured`, 'none');
    return [...items];
  }
  const out: T[] = [];
  for (const [i, name] of names.entries()) {
    const found = items.find((t) => idOf(t) === name);
    if (found === undefined) {
      const known = items.map(idOf);
      throw new DispatchRequestError(`${param}[${i}]`, `"${name}" is not a ${noun} of this box; expected ${known.length > 0 ? `one of ${known.join(', ')}` : `nothing (there are no ${noun}s)`}`);
    }
    if (!out.includes(found)) out.push(found);
  }
  if (out.length === 0) throw new DispatchRequestError(param, `name at least one ${noun}, or leave ${param} out for all`);
  return out;
}

/** Resolves after `ms`, or early (true) when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (aborted: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(aborted);
    };
    const onAbort = (): void => done(true);
    const timer = setTimeout(() => done(false), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Turns the alarms that are sounding into outputs: relays on the I/O board, programmes on the loudspeakers, text on
 * the LED boards. At start it derives the outputs from the store (so a restart re-asserts the relays and LED text
 * but does not re-sound an alarm already acknowledged), then re-derives on every alarm transition and applies the
 * difference. Each output is driven on its own: a dead one raises an `output_fault:<id>` alarm and never holds up
 * the others; the fault clears when the output works again.
 */
export class Dispatcher implements Module {
  readonly name = 'dispatch';
  /** Every change of an output's state (for the live event stream). */
  /** Output changes, published on the hub for the live event stream. */
  get output$(): Subject<OutputEvent> {
    return this.opts.hub.output$;
  }

  private readonly relays = new Map<string, RelayRec>();
  private readonly leds: LedRec[] = [];
  private readonly speakers: SpeakerRec[] = [];
  private readonly faults: OutputFaults;
  private readonly audio: ProgrammeAudio;
  private readonly soundRelays: readonly string[];
  /** Relay name → speakers playing through it now. */
  private readonly ampHolders = new Map<string, Set<string>>();
  private readonly allClears = new Map<string, RecentAllClear>();
  private desired: DesiredOutputs = { relays: [], ledText: null, programmes: [], driving: [] };
  private running = false;
  private reconcileQueued = false;
  private sub: Subscription | undefined;
  private offBoard: (() => void)[] = [];
  private tick: ReturnType<typeof setInterval> | undefined;
  private grace: ReturnType<typeof setTimeout> | undefined;
  private readonly noticeTimers = new Set<ReturnType<typeof setTimeout>>();
  private announceSeq = 0;
  private plans: DispatchPlan;
  private siteNames: Readonly<Record<string, string>>;

  constructor(private readonly opts: DispatcherOptions) {
    this.plans = opts.plans;
    this.siteNames = opts.siteNames;
    const ids = new Map<string, string>([[IO_BOARD_OUTPUT_ID, 'the I/O board']]);
    const claim = (id: string, what: string): void => {
      const other = ids.get(id);
      if (other !== undefined) throw new RangeError(`output id '${id}' names both ${other} and ${what}; output fault alarms need distinct ids`);
      ids.set(id, what);
    };
    for (const [name, pin] of Object.entries(opts.relays)) {
      claim(name, `relay ${name}`);
      this.relays.set(name, { name, pin, commanded: undefined, confirmed: false, confirmedAt: null, lastError: null, gen: 0 });
    }
    for (const l of opts.ledBoards) {
      claim(l.id, `LED board ${l.id}`);
      this.leds.push({ id: l.id, board: l.board, textOptions: l.textOptions, want: null, sent: undefined, acknowledged: false, failed: false, lastError: null, at: null, busy: false, notice: null });
    }
    this.audio = new ProgrammeAudio({ audioDir: opts.audioDir, ...(opts.audioEnv === undefined ? {} : { env: opts.audioEnv }) });
    for (const cfg of opts.speakers) {
      claim(cfg.id, `speaker ${cfg.id}`);
      const rec: SpeakerRec = {
        cfg,
        queue: new PlayoutQueue<DesiredProgramme>(
          (item, signal) => this.play(rec, item, signal),
          (e) => this.onPlayout(rec, e),
        ),
        enqueued: new Map(),
        state: 'idle',
        alarmKey: null,
        level: null,
        lastError: null,
        at: null,
      };
      this.speakers.push(rec);
    }
    this.soundRelays = [...new Set([...(opts.soundRelays ?? DEFAULT_SOUND_RELAYS), ...opts.speakers.flatMap((s) => (s.amplifierRelay === undefined ? [] : [s.amplifierRelay]))])];
    this.faults = new OutputFaults(opts.alarms, opts.log);

    this.warnUnknownRelays();
    if (this.relays.size > 0 && opts.ioBoard === undefined) opts.log.error({ event: 'dispatch.no_io_board' }, 'relays are configured but there is no I/O board');
  }

  private warnUnknownRelays(): void {
    const planned = new Set([...this.plans.prepare.relays, ...this.plans.evacuate.relays, ...this.opts.speakers.flatMap((s) => s.amplifierRelay ?? [])]);
    const missing = [...planned].filter((n) => !this.relays.has(n));
    if (missing.length > 0) this.opts.log.warn({ event: 'dispatch.unknown_relays', relays: missing }, 'dispatch plans name relays this box does not have');
  }

  /**
   * New plans and/or site names (settings changed through the API), in effect at once: the outputs are derived
   * again, so a sounding alarm whose message changed is spoken again with the new text and the relays follow the
   * new plan.
   */
  reconfigure(update: { readonly plans?: DispatchPlan; readonly siteNames?: Readonly<Record<string, string>> }): void {
    if (update.plans !== undefined) this.plans = update.plans;
    if (update.siteNames !== undefined) this.siteNames = update.siteNames;
    this.warnUnknownRelays();
    this.opts.log.info({ event: 'dispatch.reconfigured', plans: update.plans !== undefined, siteNames: update.siteNames !== undefined }, 'dispatch reconfigured');
    this.reconcile();
  }

  /**
   * Speaks an operator's message now, once, on the named loudspeakers (default all), as playout class `county`:
   * an alarm pre-empts it (it plays again, whole, after the alarm's programme) and it never interrupts an alarm.
   */
  announce(req: AnnounceRequest): { readonly key: string; readonly speakers: readonly string[] } {
    const targets = pick(this.speakers, (s) => s.cfg.id, req.speakers, 'speakers', 'speaker');
    if (!this.running) throw new Error('dispatch is not running');
    const key = `announce:${this.opts.clock()}-${++this.announceSeq}`;
    const programme: DesiredProgramme = {
      key,
      cls: 'county',
      alarmKey: key,
      level: null,
      drill: false,
      message: req.text,
      repeat: 1,
      intervalS: 0,
      signature: JSON.stringify(['announce', key, req.text]),
      oneShot: true,
    };
    for (const s of targets) s.queue.enqueue({ key, cls: 'county', payload: programme });
    const ids = targets.map((s) => s.cfg.id);
    this.opts.log.info({ event: 'dispatch.announce', key, speakers: ids, account: req.account, by: req.by, chars: req.text.length }, 'operator announcement queued');
    return { key, speakers: ids };
  }

  /**
   * Shows an operator's text on the named LED boards (default all) for `minutes`. Alarm and all-clear texts take
   * precedence: while one is shown the operator's text waits (its time still runs) and comes back after, if not expired.
   */
  showText(req: ShowTextRequest): { readonly boards: readonly string[]; readonly until: number; readonly shownNow: boolean } {
    const targets = pick(this.leds, (l) => l.id, req.boards, 'boards', 'LED board');
    if (!this.running) throw new Error('dispatch is not running');
    const minutes = req.minutes ?? DEFAULT_NOTICE_MINUTES;
    const until = this.opts.clock() + minutes * 60_000;
    for (const l of targets) l.notice = { text: req.text, until };
    const timer = setTimeout(() => {
      this.noticeTimers.delete(timer);
      this.reconcile();
    }, Math.max(0, until - this.opts.clock()) + 10);
    this.noticeTimers.add(timer);
    const ids = targets.map((l) => l.id);
    this.opts.log.info({ event: 'dispatch.led_notice', boards: ids, account: req.account, by: req.by, until, text: req.text }, 'operator LED text');
    this.reconcile();
    return { boards: ids, until, shownNow: this.desired.ledText === null };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.faults.adoptOpen();
    this.sub = this.opts.hub.alarm$.subscribe((ev) => this.onAlarm(ev));
    const board = this.opts.ioBoard;
    if (board) {
      this.offBoard.push(board.on('connected', () => this.onBoardConnected()));
      this.offBoard.push(board.on('lost', (info) => this.onBoardLost(info.reason ?? 'line lost')));
      if (board.connection() === 'connected') {
        this.faults.clear(IO_BOARD_OUTPUT_ID, 'I/O board connected');
      } else {
        this.grace = setTimeout(() => {
          this.grace = undefined;
          if (this.running && board.connection() !== 'connected') {
            this.faults.raise(IO_BOARD_OUTPUT_ID, 'I/O板 无连接', `I/O board not connected ${this.graceMs()} ms after start (${board.connection()})`);
          }
        }, this.graceMs());
      }
    }
    this.opts.log.info(
      { event: 'dispatch.started', relays: this.relays.size, speakers: this.speakers.length, ledBoards: this.leds.length },
      'dispatch started',
    );
    this.reconcile();
    this.tick = setInterval(() => this.retry(), this.opts.retryMs ?? 10_000);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.sub?.unsubscribe();
    for (const off of this.offBoard.splice(0)) off();
    if (this.tick) clearInterval(this.tick);
    if (this.grace) clearTimeout(this.grace);
    for (const t of this.noticeTimers) clearTimeout(t);
    this.noticeTimers.clear();
    await Promise.all(this.speakers.map((s) => s.queue.stop()));
    this.opts.log.info({ event: 'dispatch.stopped' }, 'dispatch stopped');
  }

  /** What every output is doing, for `GET /api/v1/outputs`. */
  outputs(): OutputsSnapshot {
    return {
      ioBoard: this.opts.ioBoard ? { connection: this.opts.ioBoard.connection() } : null,
      relays: [...this.relays.values()].map((r) => this.relaySnapshot(r)),
      speakers: this.speakers.map((s) => this.speakerSnapshot(s)),
      ledBoards: this.leds.map((l) => this.ledSnapshot(l)),
      silenceOnAck: { prepare: this.plans.prepare.silenceOnAck, evacuate: this.plans.evacuate.silenceOnAck },
    };
  }

  /** The outputs as last derived (for tests and diagnostics). */
  current(): DesiredOutputs {
    return this.desired;
  }

  // ---- deriving ----

  private graceMs(): number {
    return this.opts.ioBoardGraceMs ?? 10_000;
  }

  private onAlarm({ alarm, transition }: AlarmEvent): void {
    // Faults and output faults drive nothing: ignoring them here is also what keeps an output fault from looping back.
    if (!PUBLIC_KINDS.has(alarm.kind)) return;
    if (transition.type === 'cleared' && alarm.kind === 'flood' && alarm.level !== null) {
      const withHistory = this.opts.alarms.get(alarm.id) ?? alarm;
      this.allClears.set(alarm.key, { alarm: withHistory, clearedAt: transition.ts, showUntil: transition.ts + (this.opts.allClearShowMs ?? 600_000) });
    } else if (transition.type === 'raised' || transition.type === 'escalated') {
      this.allClears.delete(alarm.key);
    }
    this.scheduleReconcile();
  }

  private scheduleReconcile(): void {
    if (this.reconcileQueued) return;
    this.reconcileQueued = true;
    queueMicrotask(() => {
      this.reconcileQueued = false;
      this.reconcile();
    });
  }

  private reconcile(): void {
    if (!this.running) return;
    const now = this.opts.clock();
    for (const [key, c] of this.allClears) if (c.showUntil <= now) this.allClears.delete(key);
    let want: DesiredOutputs;
    try {
      const driving = this.opts.alarms
        .active()
        .filter((a) => drivesOutputs(a, now))
        .map((a) => this.opts.alarms.get(a.id) ?? a);
      want = desiredOutputs(driving, this.plans, now, {
        timeZone: this.opts.timeZone,
        siteNames: this.siteNames,
        ...(this.opts.sensorNames === undefined ? {} : { sensorNames: this.opts.sensorNames }),
        soundRelays: this.soundRelays,
        allClears: [...this.allClears.values()],
      });
    } catch (err) {
      // Keep what the outputs are doing; the next event or retry tick tries again.
      this.opts.log.error({ event: 'dispatch.derive_failed', err }, 'could not derive the outputs');
      return;
    }
    const changed = JSON.stringify(want) !== JSON.stringify(this.desired);
    this.desired = want;
    if (changed) {
      this.opts.log.info(
        { event: 'dispatch.outputs', relays: want.relays, ledText: want.ledText, programmes: want.programmes.map((p) => p.key), driving: want.driving },
        'outputs derived',
      );
    }
    for (const r of this.relays.values()) void this.applyRelay(r);
    for (const l of this.leds) {
      if (l.notice !== null && l.notice.until <= now) l.notice = null;
      l.want = want.ledText ?? l.notice?.text ?? null;
      this.applyLed(l, false);
    }
    for (const s of this.speakers) this.applySpeaker(s, want);
  }

  /** Periodic: re-derive (all-clear display ends) and try failed outputs again. */
  private retry(): void {
    if (!this.running) return;
    const board = this.opts.ioBoard;
    if (board?.connection() === 'connected') {
      for (const r of this.relays.values()) if (r.commanded !== undefined && !r.confirmed) void this.sendRelay(r, r.commanded);
    }
    for (const l of this.leds) if (l.failed) this.applyLed(l, true);
    this.reconcile();
  }

  // ---- relays ----

  private relayWanted(r: RelayRec): boolean {
    return this.desired.relays.includes(r.name) || (this.ampHolders.get(r.name)?.size ?? 0) > 0;
  }

  /** Sends the relay's wanted level if it differs from the commanded one; resolves once the board answered. */
  private applyRelay(r: RelayRec): Promise<void> {
    const want = this.relayWanted(r);
    if (r.commanded === want) return Promise.resolve();
    return this.sendRelay(r, want);
  }

  /** Never rejects. */
  private sendRelay(r: RelayRec, on: boolean): Promise<void> {
    r.commanded = on;
    r.confirmed = false;
    const gen = ++r.gen;
    const board = this.opts.ioBoard;
    if (!board || board.connection() !== 'connected') {
      // Sent when the board (re)connects; the board fault is raised by the lost event or the start-up grace.
      r.lastError = board ? `I/O board not connected (${board.connection()})` : 'no I/O board';
      this.emitRelay(r);
      return Promise.resolve();
    }
    this.emitRelay(r);
    return board.setRelay(r.pin, on).then(
      (res) => {
        if (gen === r.gen) this.onRelayResult(r, res);
      },
      (err: unknown) => {
        if (gen === r.gen) this.onRelayError(r, err);
      },
    );
  }

  private onRelayResult(r: RelayRec, res: RelayResult): void {
    if (res.confirmed) {
      r.confirmed = true;
      r.confirmedAt = this.opts.clock();
      r.lastError = null;
      this.faults.clear(r.name, `relay ${r.name} confirmed ${r.commanded ? 'on' : 'off'}`);
    } else {
      const seen = res.readBack ? ` (board reports mode ${res.readBack.mode}, level ${res.readBack.level})` : '';
      r.lastError = `read-back ${res.reason}${seen}`;
      this.opts.log.warn({ event: 'dispatch.relay_unconfirmed', relay: r.name, pin: r.pin, on: r.commanded, reason: res.reason }, 'relay not confirmed');
      this.faults.raise(r.name, `继电器 ${r.name} 未确认`, `relay ${r.name} (pin ${r.pin}) ${r.commanded ? 'on' : 'off'}: ${r.lastError}`);
    }
    this.emitRelay(r);
  }

  private onRelayError(r: RelayRec, err: unknown): void {
    r.lastError = message(err);
    this.emitRelay(r);
    if (err instanceof IoBoardError && (err.code === 'stopped' || err.code === 'disconnected' || err.code === 'lost')) {
      // The board as a whole: its lost event raised the fault, its connected event sends again.
      return;
    }
    this.opts.log.warn({ event: 'dispatch.relay_failed', relay: r.name, pin: r.pin, err: r.lastError }, 'relay command failed');
    this.faults.raise(r.name, `继电器 ${r.name} 无法控制`, `relay ${r.name} (pin ${r.pin}): ${r.lastError}`);
  }

  private onBoardConnected(): void {
    if (!this.running) return;
    this.faults.clear(IO_BOARD_OUTPUT_ID, 'I/O board connected');
    // The board may have reset: send every relay's level again, and prove it.
    for (const r of this.relays.values()) void this.sendRelay(r, this.relayWanted(r));
  }

  private onBoardLost(reason: string): void {
    if (!this.running) return;
    for (const r of this.relays.values()) {
      r.confirmed = false;
      r.lastError = `I/O board lost: ${reason}`;
      this.emitRelay(r);
    }
    this.faults.raise(IO_BOARD_OUTPUT_ID, 'I/O板 无连接', `I/O board lost: ${reason}`);
  }

  /** A speaker starts or stops using its amplifier relay. */
  private holdAmplifier(s: SpeakerRec, on: boolean): Promise<void> {
    const name = s.cfg.amplifierRelay;
    const r = name === undefined ? undefined : this.relays.get(name);
    if (name === undefined || r === undefined) return Promise.resolve();
    let holders = this.ampHolders.get(name);
    if (!holders) this.ampHolders.set(name, (holders = new Set()));
    if (on) holders.add(s.cfg.id);
    else holders.delete(s.cfg.id);
    return this.applyRelay(r);
  }

  // ---- LED boards ----

  private applyLed(l: LedRec, force: boolean): void {
    if (l.busy) return; // the answer handler sends again if the wanted text moved on
    if (!force && l.sent === l.want) return;
    const text = l.want;
    l.busy = true;
    l.sent = text;
    l.acknowledged = false;
    this.emitLed(l);
    let sending: Promise<LedResult>;
    try {
      sending = text === null ? l.board.clear() : l.board.showText(text, l.textOptions);
    } catch (err) {
      sending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    sending
      .then(
        (res) => this.onLedResult(l, text, res),
        (err: unknown) => this.onLedFailure(l, text, 'error', message(err)),
      )
      .finally(() => {
        l.busy = false;
        if (this.running && l.sent !== l.want) this.applyLed(l, false);
      });
  }

  private onLedResult(l: LedRec, text: string | null, res: LedResult): void {
    if (res.acknowledged || res.error === undefined) {
      // Not acknowledged but without an error: the board is set up not to answer, so there is nothing to prove.
      l.acknowledged = res.acknowledged;
      l.failed = false;
      l.lastError = null;
      l.at = this.opts.clock();
      this.faults.clear(l.id, `LED board ${l.id} ${res.acknowledged ? 'acknowledged' : 'took'} the text`);
      this.emitLed(l);
      return;
    }
    this.onLedFailure(l, text, res.error.code, res.error.message);
  }

  private onLedFailure(l: LedRec, text: string | null, code: string, why: string): void {
    l.acknowledged = false;
    l.failed = true;
    l.lastError = `${code}: ${why}`;
    l.at = this.opts.clock();
    this.opts.log.warn({ event: 'dispatch.led_failed', board: l.id, code, err: why, text }, 'LED board did not take the text');
    const title = code === 'invalid_input' ? `LED屏 ${l.id} 无法显示` : `LED屏 ${l.id} 无应答`;
    this.faults.raise(l.id, title, `LED board ${l.id}: ${l.lastError}`);
    this.emitLed(l);
  }

  // ---- speakers ----

  private applySpeaker(s: SpeakerRec, want: DesiredOutputs): void {
    const wanted = new Set<string>();
    for (const p of want.programmes) {
      wanted.add(p.key);
      if (s.enqueued.get(p.key)?.signature === p.signature) continue;
      s.enqueued.set(p.key, { signature: p.signature, oneShot: p.oneShot });
      s.queue.enqueue({ key: p.key, cls: p.cls, payload: p });
    }
    for (const [key, e] of s.enqueued) {
      if (wanted.has(key)) continue;
      s.enqueued.delete(key);
      // An all-clear plays out even after it leaves the desired set, unless its alarm sounds again.
      if (!e.oneShot) s.queue.cancel(key);
    }
    for (const d of want.driving) s.queue.cancel(`allclear:${d.key}`);
  }

  private async play(s: SpeakerRec, item: PlayoutItem<DesiredProgramme>, signal: AbortSignal): Promise<{ outcome: PlayResult['outcome']; error?: string }> {
    const p = item.payload;
    let wav: string;
    try {
      wav = await this.audio.render({
        ...(p.sirenPattern === undefined ? {} : { sirenPattern: p.sirenPattern }),
        message: p.message,
        ...(s.cfg.voice === undefined ? {} : { voice: s.cfg.voice }),
        ...(s.cfg.rate === undefined ? {} : { rate: s.cfg.rate }),
      });
    } catch (err) {
      return { outcome: 'failed', error: `render: ${message(err)}` };
    }
    for (let i = 0; i < p.repeat; i++) {
      if (i > 0 && p.intervalS > 0 && (await pause(p.intervalS * 1000, signal))) return { outcome: 'interrupted' };
      if (signal.aborted) return { outcome: 'interrupted' };
      const res = await playWav(wav, {
        device: s.cfg.device,
        signal,
        before: () => this.holdAmplifier(s, true),
        after: () => {
          void this.holdAmplifier(s, false);
        },
        ...(this.opts.audioEnv === undefined ? {} : { env: this.opts.audioEnv }),
      });
      if (res.hookError) this.opts.log.warn({ event: 'dispatch.speaker_hook_failed', speaker: s.cfg.id, err: res.hookError }, 'amplifier hook failed');
      if (res.outcome !== 'played') return { outcome: res.outcome, ...(res.error === undefined ? {} : { error: res.error }) };
    }
    return { outcome: 'played' };
  }

  private onPlayout(s: SpeakerRec, e: PlayoutEvent<DesiredProgramme>): void {
    const now = this.opts.clock();
    if (e.type === 'dropped') return;
    if (e.type === 'started') {
      s.state = 'playing';
      s.alarmKey = e.item.payload.alarmKey;
      s.level = e.item.payload.level;
      s.at = now;
      this.opts.log.info({ event: 'dispatch.speaker_playing', speaker: s.cfg.id, key: e.item.key, cls: e.item.cls }, 'speaker playing');
      this.emitSpeaker(s);
      return;
    }
    s.state = 'idle';
    s.alarmKey = null;
    s.level = null;
    s.at = now;
    if (e.type === 'finished' && e.outcome === 'failed') {
      s.lastError = e.error ?? 'playback failed';
      this.opts.log.warn({ event: 'dispatch.speaker_failed', speaker: s.cfg.id, key: e.item.key, err: s.lastError }, 'speaker failed');
      this.faults.raise(s.cfg.id, `喇叭 ${s.cfg.id} 播放失败`, `speaker ${s.cfg.id} (${s.cfg.device}): ${s.lastError}`);
      // Not heard: queued again on the next retry tick while it is still wanted.
      if (s.enqueued.get(e.item.key)?.signature === e.item.payload.signature) s.enqueued.delete(e.item.key);
    } else if (e.type === 'finished' && e.outcome === 'played') {
      s.lastError = null;
      this.faults.clear(s.cfg.id, `speaker ${s.cfg.id} played`);
    }
    this.emitSpeaker(s);
  }

  // ---- snapshots ----

  private relaySnapshot(r: RelayRec): RelaySnapshot {
    return { name: r.name, pin: r.pin, on: r.commanded ?? false, confirmed: r.confirmed, confirmedAt: r.confirmedAt, lastError: r.lastError };
  }

  private speakerSnapshot(s: SpeakerRec): SpeakerSnapshot {
    return { id: s.cfg.id, device: s.cfg.device, state: s.state, alarmKey: s.alarmKey, level: s.level, lastError: s.lastError, at: s.at };
  }

  private ledSnapshot(l: LedRec): LedBoardSnapshot {
    return { id: l.id, text: l.sent ?? null, acknowledged: l.acknowledged, lastError: l.lastError, at: l.at };
  }

  private emitRelay(r: RelayRec): void {
    this.output$.next({ type: 'relay', at: this.opts.clock(), relay: this.relaySnapshot(r) });
  }

  private emitSpeaker(s: SpeakerRec): void {
    this.output$.next({ type: 'speaker', at: this.opts.clock(), speaker: this.speakerSnapshot(s) });
  }

  private emitLed(l: LedRec): void {
    this.output$.next({ type: 'led', at: this.opts.clock(), ledBoard: this.ledSnapshot(l) });
  }
}
