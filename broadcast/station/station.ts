import { Subject, type Observable } from 'rxjs';
import { pickOutputs } from './pick.js';
import { PlayoutQueue, type PlayoutEvent, type PlayoutItem } from './playout-queue.js';
import type { AlarmProgrammeLevel, Programme, ProgrammeKind } from './programme.js';
import { playoutClassOf, resumesAfterCut } from './programme.js';
import type { Amplifier, StationAudio, StationClock, StationLog, StationPlayOutcome } from './ports.js';

export interface StationSpeaker {
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

export interface StationOptions {
  readonly speakers: readonly StationSpeaker[];
  readonly audio: StationAudio;
  readonly clock: StationClock;
  readonly log: StationLog;
  /** Switches the speakers' amplifier relays; without it `amplifierRelay` is not switched. */
  readonly amplifier?: Amplifier;
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

/** A programme that must be on the air on every speaker while it is asked for (an alarm's warning, an all-clear). */
export interface StandingProgramme {
  readonly programme: Programme;
  /** What is said and how: the programme is queued again only when this changes. */
  readonly signature: string;
  /** Played once, and not withdrawn when it is no longer asked for (an all-clear). */
  readonly oneShot: boolean;
}

/** What a speaker plays, as the station says it. */
export interface OnAir {
  readonly key: string;
  readonly kind: ProgrammeKind;
  readonly about: string | null;
  readonly level: AlarmProgrammeLevel | null;
  readonly title: string | null;
}

export interface SpeakerState {
  readonly id: string;
  readonly device: string;
  readonly state: 'idle' | 'playing';
  readonly onAir: OnAir | null;
  readonly lastError: string | null;
  /** When the state last changed (UTC ms). */
  readonly at: number | null;
}

/** A change of one speaker; `outcome` when a programme ended (`failed` with its error). */
export interface SpeakerChange {
  readonly at: number;
  readonly speaker: SpeakerState;
  readonly outcome?: StationPlayOutcome;
  readonly error?: string;
}

/** One speaker's queue, for the station view. */
export interface SpeakerQueue {
  readonly id: string;
  readonly playing: OnAir | null;
  readonly waiting: readonly OnAir[];
}

interface Standing {
  readonly programme: Programme;
  readonly signature: string;
  readonly oneShot: boolean;
}

interface SpeakerRec {
  readonly cfg: StationSpeaker;
  readonly queue: PlayoutQueue<Programme>;
  /** Standing programmes queued on this speaker, by key. */
  readonly standing: Map<string, Standing>;
  state: 'idle' | 'playing';
  onAir: OnAir | null;
  startedAt: number | null;
  lastError: string | null;
  at: number | null;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function onAirOf(p: Programme): OnAir {
  return { key: p.key, kind: p.kind, about: p.about ?? null, level: p.kind === 'alarm' ? p.level : null, title: p.title ?? null };
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
 * The broadcast station: every loudspeaker's playout queue, the amplifier each speaker holds while it sounds, the
 * programme audio, and announcements. Whoever asks says what a programme is (alarm, all-clear, county notice,
 * operator message, scheduled); the kind is its priority, and a more urgent programme pre-empts at once. The station
 * knows nothing of alarm rules, relays or faults: the amplifier is a callback, and speaker changes go out on
 * `change$` for the owner of the outputs to show and to raise faults from.
 *
 * The journal keeps the event names it had when the speakers lived in the dispatcher (`station.speaker_playing`,
 * `station.announce`, …): operators' tools and the tests read them.
 */
export class Station {
  readonly name = 'station';
  private readonly speakerRecs: SpeakerRec[] = [];
  /** Relay name → speakers playing through it now. */
  private readonly ampHolders = new Map<string, Set<string>>();
  private readonly changes = new Subject<SpeakerChange>();
  private running = false;
  private announceSeq = 0;

  constructor(private readonly opts: StationOptions) {
    const seen = new Set<string>();
    for (const cfg of opts.speakers) {
      if (seen.has(cfg.id)) throw new RangeError(`speaker id '${cfg.id}' is used twice`);
      seen.add(cfg.id);
      const rec: SpeakerRec = {
        cfg,
        queue: new PlayoutQueue<Programme>(
          (item, signal) => this.sound(rec, item, signal),
          (e) => this.onPlayout(rec, e),
        ),
        standing: new Map(),
        state: 'idle',
        onAir: null,
        startedAt: null,
        lastError: null,
        at: null,
      };
      this.speakerRecs.push(rec);
    }
  }

  /** Every change of a speaker (playing, idle, failed). */
  get change$(): Observable<SpeakerChange> {
    return this.changes.asObservable();
  }

  speakerIds(): readonly string[] {
    return this.speakerRecs.map((s) => s.cfg.id);
  }

  /** The relays the speakers' amplifiers hang on. */
  amplifierRelays(): readonly string[] {
    return [...new Set(this.speakerRecs.flatMap((s) => (s.cfg.amplifierRelay === undefined ? [] : [s.cfg.amplifierRelay])))];
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.opts.log.info({ event: 'station.started', speakers: this.speakerRecs.length }, 'broadcast station started');
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all(this.speakerRecs.map((s) => s.queue.stop()));
    this.opts.log.info({ event: 'station.stopped' }, 'broadcast station stopped');
  }

  /**
   * Queues a programme once on the named speakers (default all). Throws `OutputRequestError` for a speaker this box
   * does not have, and when it has none.
   */
  play(programme: Programme, speakers?: readonly string[]): { readonly key: string; readonly speakers: readonly string[] } {
    const targets = pickOutputs(this.speakerRecs, (s) => s.cfg.id, speakers, 'speakers', 'speaker');
    if (!this.running) throw new Error('the broadcast station is not running');
    for (const s of targets) s.queue.enqueue(this.itemOf(programme));
    return { key: programme.key, speakers: targets.map((s) => s.cfg.id) };
  }

  /**
   * Speaks a message now, once, on the named speakers (default all), as an operator's message or a county notice:
   * an alarm pre-empts it (it plays again, whole, after the alarm's programme) and it never interrupts an alarm.
   */
  announce(req: AnnounceRequest, kind: 'operator_message' | 'county_notice' = 'operator_message'): { readonly key: string; readonly speakers: readonly string[] } {
    const key = `announce:${this.opts.clock()}-${++this.announceSeq}`;
    const res = this.play({ key, kind, about: key, sound: { speech: req.text }, repeat: 1, intervalS: 0 }, req.speakers);
    this.opts.log.info({ event: 'station.announce', key, kind, speakers: res.speakers, account: req.account, by: req.by, chars: req.text.length }, 'announcement queued');
    return res;
  }

  /**
   * The programmes that must be on the air now, on every speaker: one that is new or whose signature changed is
   * queued; one no longer listed is withdrawn, unless it is one-shot (it plays out). Called again after a failed
   * play, it queues the programme again.
   */
  keepOnAir(standing: readonly StandingProgramme[]): void {
    if (!this.running) return;
    for (const s of this.speakerRecs) {
      const wanted = new Set<string>();
      for (const { programme, signature, oneShot } of standing) {
        wanted.add(programme.key);
        if (s.standing.get(programme.key)?.signature === signature) continue;
        s.standing.set(programme.key, { programme, signature, oneShot });
        s.queue.enqueue(this.itemOf(programme));
      }
      for (const [key, e] of s.standing) {
        if (wanted.has(key)) continue;
        s.standing.delete(key);
        if (!e.oneShot) s.queue.cancel(key);
      }
    }
  }

  /** Drops a programme from every speaker, queued or playing. */
  withdraw(key: string): void {
    for (const s of this.speakerRecs) s.queue.cancel(key);
  }

  /** Whether a programme with this key plays or waits on any speaker. */
  has(key: string): boolean {
    return this.speakerRecs.some((s) => s.queue.has(key));
  }

  speakers(): readonly SpeakerState[] {
    return this.speakerRecs.map((s) => this.stateOf(s));
  }

  /** What each speaker plays and what waits, most urgent first. */
  queues(): readonly SpeakerQueue[] {
    return this.speakerRecs.map((s) => {
      const q = s.queue.snapshot();
      return { id: s.cfg.id, playing: q.playing ? onAirOf(q.playing.payload) : null, waiting: q.waiting.map((w) => onAirOf(w.payload)) };
    });
  }

  private itemOf(p: Programme): PlayoutItem<Programme> {
    return { key: p.key, cls: playoutClassOf(p), payload: p, resume: resumesAfterCut(p) };
  }

  /** A speaker starts or stops using its amplifier relay. */
  private holdAmplifier(s: SpeakerRec, on: boolean): Promise<void> {
    const relay = s.cfg.amplifierRelay;
    const amplifier = this.opts.amplifier;
    if (relay === undefined || amplifier === undefined) return Promise.resolve();
    let holders = this.ampHolders.get(relay);
    if (!holders) this.ampHolders.set(relay, (holders = new Set()));
    if (on) holders.add(s.cfg.id);
    else holders.delete(s.cfg.id);
    return amplifier(relay, holders.size > 0);
  }

  private async wavOf(s: SpeakerRec, p: Programme): Promise<string> {
    if ('file' in p.sound) return p.sound.file;
    return this.opts.audio.renderSpeech({
      text: p.sound.speech,
      ...(p.sound.sirenPattern === undefined ? {} : { sirenPattern: p.sound.sirenPattern }),
      ...(s.cfg.voice === undefined ? {} : { voice: s.cfg.voice }),
      ...(s.cfg.rate === undefined ? {} : { rate: s.cfg.rate }),
    });
  }

  private async sound(s: SpeakerRec, item: PlayoutItem<Programme>, signal: AbortSignal): Promise<{ outcome: StationPlayOutcome; error?: string }> {
    const p = item.payload;
    let wav: string;
    try {
      wav = await this.wavOf(s, p);
    } catch (err) {
      return { outcome: 'failed', error: `render: ${message(err)}` };
    }
    for (let i = 0; i < p.repeat; i++) {
      if (i > 0 && p.intervalS > 0 && (await pause(p.intervalS * 1000, signal))) return { outcome: 'interrupted' };
      if (signal.aborted) return { outcome: 'interrupted' };
      const res = await this.opts.audio.play(wav, {
        device: s.cfg.device,
        signal,
        before: () => this.holdAmplifier(s, true),
        after: () => {
          void this.holdAmplifier(s, false);
        },
      });
      if (res.hookError) this.opts.log.warn({ event: 'station.speaker_hook_failed', speaker: s.cfg.id, err: res.hookError }, 'amplifier hook failed');
      if (res.outcome !== 'played') return { outcome: res.outcome, ...(res.error === undefined ? {} : { error: res.error }) };
    }
    return { outcome: 'played' };
  }

  private onPlayout(s: SpeakerRec, e: PlayoutEvent<Programme>): void {
    const now = this.opts.clock();
    if (e.type === 'dropped') return;
    if (e.type === 'started') {
      s.state = 'playing';
      s.onAir = onAirOf(e.item.payload);
      s.startedAt = now;
      s.at = now;
      this.opts.log.info({ event: 'station.speaker_playing', speaker: s.cfg.id, key: e.item.key, cls: e.item.cls, kind: e.item.payload.kind }, 'speaker playing');
      this.emit(s);
      return;
    }
    if (e.type === 'preempted') {
      const p = e.item.payload;
      this.opts.log.info(
        {
          event: 'station.programme_cut',
          speaker: s.cfg.id,
          key: p.key,
          kind: p.kind,
          title: p.title,
          playedMs: s.startedAt === null ? null : now - s.startedAt,
          by: e.by?.key,
          byKind: e.by?.payload.kind,
          resumes: e.resumes,
        },
        e.resumes === true ? 'programme pre-empted; it plays again after' : 'programme cut; it does not resume',
      );
    }
    s.state = 'idle';
    s.onAir = null;
    s.startedAt = null;
    s.at = now;
    if (e.type === 'finished' && e.outcome === 'failed') {
      s.lastError = e.error ?? 'playback failed';
      this.opts.log.warn({ event: 'station.speaker_failed', speaker: s.cfg.id, key: e.item.key, err: s.lastError }, 'speaker failed');
      // Not heard: a standing programme is queued again the next time it is asked for.
      if (s.standing.get(e.item.key)?.programme === e.item.payload) s.standing.delete(e.item.key);
      this.emit(s, 'failed', s.lastError);
      return;
    }
    if (e.type === 'finished' && e.outcome === 'played') {
      s.lastError = null;
      this.emit(s, 'played');
      return;
    }
    this.emit(s);
  }

  private stateOf(s: SpeakerRec): SpeakerState {
    return { id: s.cfg.id, device: s.cfg.device, state: s.state, onAir: s.onAir, lastError: s.lastError, at: s.at };
  }

  private emit(s: SpeakerRec, outcome?: StationPlayOutcome, error?: string): void {
    this.changes.next({ at: this.opts.clock(), speaker: this.stateOf(s), ...(outcome === undefined ? {} : { outcome }), ...(error === undefined ? {} : { error }) });
  }
}
