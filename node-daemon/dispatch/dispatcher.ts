import type { Logger } from 'pino';
import type { Subject, Subscription } from 'rxjs';
import { pickOutputs } from '../../broadcast/station/pick.js';
import type { SpeakerChange, SpeakerState, Station } from '../../broadcast/station/station.js';
import { IoBoardError, type IoBoard, type RelayResult } from '../../drivers/io-board/io-board.js';
import type { LedBoard, LedResult, LedTextOptions } from '../../drivers/led/led-board.js';
import type { AlarmService } from '../alarms/store/alarm-service.js';
import { withUncommitted } from '../alarms/store/uncommitted.js';
import type { AlarmEvent, EventHub } from '../core/events.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import { standingProgrammes } from './alarm-programmes.js';
import { DEFAULT_SOUND_RELAYS, PUBLIC_KINDS, desiredOutputs, drivesOutputs, type DesiredOutputs, type RecentAllClear } from './desired.js';
import { OutputFaults } from './output-faults.js';
import type { LedBoardSnapshot, OutputEvent, OutputsSnapshot, RelaySnapshot, SpeakerSnapshot } from './outputs-snapshot.js';
import type { DispatchPlan } from './plan-schema.js';

/** What the dispatcher asks of the broadcast station (the loudspeakers). */
export type DispatchStation = Pick<Station, 'keepOnAir' | 'withdraw' | 'speakers' | 'change$' | 'speakerIds' | 'amplifierRelays'>;

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
  /**
   * The loudspeakers: the dispatcher asks the station to keep each sounding alarm's programme on the air and hands it
   * `amplifier()` to switch the amplifier relays. Shared: the dispatcher never starts or stops it.
   */
  readonly station: DispatchStation;
  /** The dispatcher never closes these. */
  readonly ledBoards: readonly DispatchLedBoard[];
  /** Relays that make sound, off once a `silenceOnAck` alarm is acknowledged. Default siren, amplifier and every amplifierRelay. */
  readonly soundRelays?: readonly string[];
  /** How often failed outputs are tried again (and the desired state re-derived). Default 10 000 ms. */
  readonly retryMs?: number;
  /** An I/O board not connected this long after start is an output fault. Default 10 000 ms. */
  readonly ioBoardGraceMs?: number;
  /** How long the LED boards show an all-clear. Default 10 minutes. */
  readonly allClearShowMs?: number;
}

export const IO_BOARD_OUTPUT_ID = 'io-board';

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

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Turns the alarms that are sounding into outputs: relays on the I/O board, programmes on the loudspeakers (asked of
 * the broadcast station), text on the LED boards. At start it derives the outputs from the store (so a restart re-asserts the relays and LED text
 * but does not re-sound an alarm already acknowledged), then re-derives on every alarm transition and applies the
 * difference. Each output is driven on its own: a dead one raises an `output_fault:<id>` alarm and never holds up
 * the others; the fault clears when the output works again.
 */
export class Dispatcher implements Module {
  readonly name = 'dispatch';
  /** Output changes, published on the hub for the live event stream. */
  get output$(): Subject<OutputEvent> {
    return this.opts.hub.output$;
  }

  private readonly relays = new Map<string, RelayRec>();
  private readonly leds: LedRec[] = [];
  private readonly faults: OutputFaults;
  private readonly soundRelays: readonly string[];
  /** Amplifier relays the station holds on now (a speaker is playing through them). */
  private readonly ampOn = new Set<string>();
  private readonly allClears = new Map<string, RecentAllClear>();
  private desired: DesiredOutputs = { relays: [], ledText: null, programmes: [], driving: [] };
  private running = false;
  private reconcileQueued = false;
  private sub: Subscription | undefined;
  private speakerSub: Subscription | undefined;
  private offUncommitted: (() => void) | undefined;
  private offBoard: (() => void)[] = [];
  private tick: ReturnType<typeof setInterval> | undefined;
  private grace: ReturnType<typeof setTimeout> | undefined;
  private readonly noticeTimers = new Set<ReturnType<typeof setTimeout>>();
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
    for (const id of opts.station.speakerIds()) claim(id, `speaker ${id}`);
    this.soundRelays = [...new Set([...(opts.soundRelays ?? DEFAULT_SOUND_RELAYS), ...opts.station.amplifierRelays()])];
    this.faults = new OutputFaults(opts.alarms, opts.log);

    this.warnUnknownRelays();
    if (this.relays.size > 0 && opts.ioBoard === undefined) opts.log.error({ event: 'dispatch.no_io_board' }, 'relays are configured but there is no I/O board');
  }

  private warnUnknownRelays(): void {
    const planned = new Set([...this.plans.prepare.relays, ...this.plans.evacuate.relays, ...this.opts.station.amplifierRelays()]);
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
   * The station's amplifier callback: a speaker's amplifier relay on while any speaker plays through it (on top of
   * what the alarms want). A relay this box does not have is ignored (reported at start).
   */
  amplifier(relay: string, on: boolean): Promise<void> {
    const r = this.relays.get(relay);
    if (r === undefined) return Promise.resolve();
    if (on) this.ampOn.add(relay);
    else this.ampOn.delete(relay);
    return this.applyRelay(r);
  }

  /**
   * Shows an operator's text on the named LED boards (default all) for `minutes`. Alarm and all-clear texts take
   * precedence: while one is shown the operator's text waits (its time still runs) and comes back after, if not expired.
   */
  showText(req: ShowTextRequest): { readonly boards: readonly string[]; readonly until: number; readonly shownNow: boolean } {
    const targets = pickOutputs(this.leds, (l) => l.id, req.boards, 'boards', 'LED board');
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
    this.speakerSub = this.opts.station.change$.subscribe((c) => this.onSpeaker(c));
    this.offUncommitted = this.opts.alarms.onUncommittedChange?.(() => this.scheduleReconcile());
    const board = this.opts.ioBoard;
    if (board) {
      // At a (re)connect the driver reads the pins and writes only relays that differ from what is wanted now.
      if (board.desiredFrom) this.offBoard.push(board.desiredFrom((pin) => this.wantedAtPin(pin)));
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
      { event: 'dispatch.started', relays: this.relays.size, speakers: this.opts.station.speakerIds().length, ledBoards: this.leds.length },
      'dispatch started',
    );
    this.reconcile();
    this.tick = setInterval(() => this.retry(), this.opts.retryMs ?? 10_000);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.sub?.unsubscribe();
    this.speakerSub?.unsubscribe();
    this.offUncommitted?.();
    this.offUncommitted = undefined;
    for (const off of this.offBoard.splice(0)) off();
    if (this.tick) clearInterval(this.tick);
    if (this.grace) clearTimeout(this.grace);
    for (const t of this.noticeTimers) clearTimeout(t);
    this.noticeTimers.clear();
    this.opts.log.info({ event: 'dispatch.stopped' }, 'dispatch stopped');
  }

  /** What every output is doing, for `GET /api/v1/outputs`. */
  outputs(): OutputsSnapshot {
    return {
      ioBoard: this.opts.ioBoard ? { connection: this.opts.ioBoard.connection(), firmware: this.opts.ioBoard.firmwareStatus?.() ?? null } : null,
      relays: [...this.relays.values()].map((r) => this.relaySnapshot(r)),
      speakers: this.opts.station.speakers().map((s) => speakerSnapshot(s)),
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
      // Raises the database could not take yet (disk full) sound too: a flood does not wait for free space.
      const driving = withUncommitted(this.opts.alarms.active(), this.opts.alarms.uncommitted?.() ?? [])
        .filter((a) => drivesOutputs(a, now))
        .map((a) => ('transitions' in a ? a : (this.opts.alarms.get(a.id) ?? a)));
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
    // A fenghuo board sounds the sirens itself for a bounded time if the daemon dies during an evacuate alarm.
    this.opts.ioBoard?.setEvacuate?.(want.driving.some((d) => d.level === 'evacuate' && !d.silenced));
    for (const l of this.leds) {
      if (l.notice !== null && l.notice.until <= now) l.notice = null;
      l.want = want.ledText ?? l.notice?.text ?? null;
      this.applyLed(l, false);
    }
    this.opts.station.keepOnAir(standingProgrammes(want.programmes));
    // An all-clear still to play is dropped when its alarm sounds again.
    for (const d of want.driving) this.opts.station.withdraw(`allclear:${d.key}`);
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
    return this.desired.relays.includes(r.name) || this.ampOn.has(r.name);
  }

  /** For the I/O board driver at a (re)connect: the state the relay on `pin` must have now (undefined: not ours). */
  private wantedAtPin(pin: number): boolean | undefined {
    if (!this.running) return undefined;
    for (const r of this.relays.values()) if (r.pin === pin) return this.relayWanted(r);
    return undefined;
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

  /** A speaker changed (in the station): shown on the live stream; a failed play is an output fault until one plays. */
  private onSpeaker(c: SpeakerChange): void {
    const s = c.speaker;
    if (c.outcome === 'failed') {
      this.faults.raise(s.id, `喇叭 ${s.id} 播放失败`, `speaker ${s.id} (${s.device}): ${c.error ?? 'playback failed'}`);
    } else if (c.outcome === 'played') {
      this.faults.clear(s.id, `speaker ${s.id} played`);
    }
    this.output$.next({ type: 'speaker', at: c.at, speaker: speakerSnapshot(s) });
  }

  // ---- snapshots ----

  private relaySnapshot(r: RelayRec): RelaySnapshot {
    return { name: r.name, pin: r.pin, on: r.commanded ?? false, confirmed: r.confirmed, confirmedAt: r.confirmedAt, lastError: r.lastError };
  }

  private ledSnapshot(l: LedRec): LedBoardSnapshot {
    return { id: l.id, text: l.sent ?? null, acknowledged: l.acknowledged, lastError: l.lastError, at: l.at };
  }

  private emitRelay(r: RelayRec): void {
    this.output$.next({ type: 'relay', at: this.opts.clock(), relay: this.relaySnapshot(r) });
  }

  private emitLed(l: LedRec): void {
    this.output$.next({ type: 'led', at: this.opts.clock(), ledBoard: this.ledSnapshot(l) });
  }
}

/** A speaker as `GET /outputs` shows it: what plays is named by the alarm (or announcement) it speaks for. */
function speakerSnapshot(s: SpeakerState): SpeakerSnapshot {
  return { id: s.id, device: s.device, state: s.state, alarmKey: s.onAir?.about ?? null, level: s.onAir?.level ?? null, lastError: s.lastError, at: s.at };
}
