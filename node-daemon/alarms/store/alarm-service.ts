import type { EventHub } from '../../core/events.js';
import { systemClock, type Clock } from '../../core/types.js';
import type { Alarm, AlarmCause, AlarmWithHistory } from '../types.js';
import type { Actor, AlarmChange, AlarmListQuery, ClearOptions, ClearTarget, RaiseRequest } from './alarm-requests.js';
import type { AlarmStore } from './alarm-store.js';

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

  constructor(opts: AlarmServiceOptions) {
    this.store = opts.store;
    this.hub = opts.hub;
    this.clock = opts.clock ?? systemClock;
  }

  raise(req: RaiseRequest): AlarmChange {
    return this.announce(this.store.raise(req, this.clock()));
  }

  acknowledge(id: number, who: Actor, note?: string): AlarmChange {
    return this.announce(this.store.acknowledge(id, who, note, this.clock()));
  }

  clear(target: ClearTarget, cause: AlarmCause, opts?: ClearOptions): AlarmChange | null {
    const change = this.store.clear(target, cause, this.clock(), opts);
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

  private announce(change: AlarmChange): AlarmChange {
    if (change.changed) this.hub?.alarm$.next({ alarm: change.alarm, transition: change.transition });
    return change;
  }
}
