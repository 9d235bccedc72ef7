import type { EventHub } from '../../core/events.js';
import { systemClock, type Clock } from '../../core/types.js';
import type { Alarm, AlarmCause, AlarmWithHistory } from '../types.js';
import type { Actor, AlarmChange, AlarmListQuery, ClearOptions, ClearTarget, RaiseRequest } from './alarm-requests.js';
import type { AlarmStore } from './alarm-store.js';
import { isStorageFailure, provisionalAlarm } from './uncommitted.js';

/**
 * What the API (and later the rules module and dispatch) call to move alarms. Times are the service's clock.
 * Refusals throw `AlarmError` (`not_found` or `invalid_transition`).
 */
export interface AlarmService {
  raise(req: RaiseRequest): AlarmChange;
  /** `who`: the signed-in account and/or whom it acts for (see Actor). */
  acknowledge(id: number, who: Actor, note?: string): AlarmChange;
  /** null when clearing a key that has no open alarm. */
  clear(target: ClearTarget, cause: AlarmCause, opts?: ClearOptions): AlarmChange | null;
  shelve(id: number, who: Actor, untilMs: number, note?: string): AlarmChange;
  unshelve(id: number, who: Actor, note?: string): AlarmChange;
  get(id: number): AlarmWithHistory | undefined;
  /** The newest alarm ever raised under a key, cleared or not. */
  findByKey(key: string): Alarm | undefined;
  list(q: AlarmListQuery): Alarm[];
  active(): Alarm[];
  /**
   * Flood raises the database could not take yet (disk full, I/O error) while the rules retry them (they keep them
   * pending until a raise or clear of the key succeeds): what they would make once committed, with provisional
   * negative ids. The dispatcher sounds them meanwhile; nothing else shows them. Empty while storage works. (A manual
   * or county raise that fails is answered with the error and retried by whoever asked: it is not held.)
   */
  uncommitted?(): readonly AlarmWithHistory[];
  /** Calls `listener` when `uncommitted()` changes; returns the unsubscribe. */
  onUncommittedChange?(listener: () => void): () => void;
}

export interface AlarmServiceOptions {
  readonly store: AlarmStore;
  /** `hub.alarm$` gets every committed transition. */
  readonly hub?: EventHub;
  readonly clock?: Clock;
}

/** The store with a clock, announcing each committed transition on `hub.alarm$` (after the commit, never before). */
export class EmittingAlarmService implements AlarmService {
  private readonly store: AlarmStore;
  private readonly hub: EventHub | undefined;
  private readonly clock: Clock;
  /** By key: raises the database failed to take, until one commits or the key is cleared (see `uncommitted`). */
  private readonly provisional = new Map<string, AlarmWithHistory>();
  private readonly provisionalListeners = new Set<() => void>();
  private provisionalIds = 0;

  constructor(opts: AlarmServiceOptions) {
    this.store = opts.store;
    this.hub = opts.hub;
    this.clock = opts.clock ?? systemClock;
  }

  raise(req: RaiseRequest): AlarmChange {
    // A raise held while the disk was full is recorded at the time the outputs started sounding for it (and the
    // spoken and shown {time} stay the same when it commits).
    const held = this.provisional.get(req.key);
    const now = held !== undefined && held.level === req.level ? (held.transitions[0]?.ts ?? this.clock()) : this.clock();
    let change: AlarmChange;
    try {
      change = this.store.raise(req, now);
    } catch (err) {
      if (req.kind === 'flood' && req.level !== null && isStorageFailure(err)) this.holdProvisional(req, now);
      throw err;
    }
    this.dropProvisional(req.key);
    return this.announce(change);
  }

  acknowledge(id: number, who: Actor, note?: string): AlarmChange {
    return this.announce(this.store.acknowledge(id, who, note, this.clock()));
  }

  clear(target: ClearTarget, cause: AlarmCause, opts?: ClearOptions): AlarmChange | null {
    // Whether or not the clear commits, the raise it follows is no longer wanted; a committed alarm of the key keeps
    // sounding until the clear is written.
    if ('key' in target) this.dropProvisional(target.key);
    const change = this.store.clear(target, cause, this.clock(), opts);
    if (change !== null) this.dropProvisional(change.alarm.key);
    return change === null ? null : this.announce(change);
  }

  shelve(id: number, who: Actor, untilMs: number, note?: string): AlarmChange {
    return this.announce(this.store.shelve(id, who, untilMs, note, this.clock()));
  }

  unshelve(id: number, who: Actor, note?: string): AlarmChange {
    return this.announce(this.store.unshelve(id, who, note, this.clock()));
  }

  get(id: number): AlarmWithHistory | undefined {
    return this.store.get(id);
  }

  findByKey(key: string): Alarm | undefined {
    return this.store.findByKey(key);
  }

  list(q: AlarmListQuery): Alarm[] {
    return this.store.list(q);
  }

  active(): Alarm[] {
    return this.store.active();
  }

  uncommitted(): readonly AlarmWithHistory[] {
    return [...this.provisional.values()];
  }

  onUncommittedChange(listener: () => void): () => void {
    this.provisionalListeners.add(listener);
    return () => this.provisionalListeners.delete(listener);
  }

  /** Keeps (or updates) the provisional alarm of a raise that failed on storage; tells the listeners of a change. */
  private holdProvisional(req: RaiseRequest, now: number): void {
    const held = this.provisional.get(req.key);
    if (held !== undefined && held.level === req.level) return;
    let open: Alarm | undefined;
    try {
      open = this.store.findByKey(req.key);
    } catch {
      open = undefined;
    }
    const id = held !== undefined && held.id < 0 ? held.id : -++this.provisionalIds;
    this.provisional.set(req.key, provisionalAlarm(req, open, id, now));
    this.provisionalChanged();
  }

  private dropProvisional(key: string): void {
    if (this.provisional.delete(key)) this.provisionalChanged();
  }

  private provisionalChanged(): void {
    for (const l of [...this.provisionalListeners]) {
      try {
        l();
      } catch {
        // A listener's failure must not turn a raise into another error.
      }
    }
  }

  private announce(change: AlarmChange): AlarmChange {
    if (change.changed) this.hub?.alarm$.next({ alarm: change.alarm, transition: change.transition });
    return change;
  }
}
