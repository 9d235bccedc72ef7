import { useEffect, useState } from 'preact/hooks';
import { ApiError, bootstrap, get, type Alarm, type AlarmList, type AuthState, type Bootstrap, type Health, type Outputs, type Site, type Sites, type System } from './api.js';
import { AlarmBook } from './alarm-book.js';
import { setTimeZone } from './format.js';

/**
 * What every page shares: the session, the box's health, its sites, the open alarms and the outputs, kept fresh by
 * the live event stream (GET /events). Pages re-render through `useStore()`.
 */
export interface State {
  auth: AuthState | undefined;
  health: Health | undefined;
  /** undefined: not loaded yet; null: the daemon has no /sites route. */
  sites: readonly Site[] | null | undefined;
  activeAlarms: readonly Alarm[];
  outputs: Outputs | null | undefined;
  system: System | null | undefined;
  /**
   * 'open' after the event stream said hello; 'down' while the box cannot be reached: the stream failed, a refresh
   * failed on the network, or the watchdog's probe found the box silent (a frozen connection never errors by itself).
   * While 'down' the pages show every value greyed with 已断开, its age still counting.
   */
  live: 'connecting' | 'open' | 'down';
  /** Bumped by every live reading, so charts and ages move. */
  readingTick: number;
  lastError: string | undefined;
}

export const state: State = {
  auth: undefined,
  health: undefined,
  sites: undefined,
  activeAlarms: [],
  outputs: undefined,
  system: undefined,
  live: 'connecting',
  readingTick: 0,
  lastError: undefined,
};

const listeners = new Set<() => void>();

export function update(patch: Partial<State>): void {
  Object.assign(state, patch);
  listeners.forEach((l) => l());
}

/** Re-renders the calling component whenever the shared state changes. */
export function useStore(): State {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const l = (): void => setVersion((v) => v + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return state;
}

async function optional<T>(path: string): Promise<T | null> {
  try {
    return await get<T>(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A refresh failed: kept for the record; a network failure means the box cannot be reached (values turn stale). */
function failed(err: unknown): void {
  const unreachable = err instanceof ApiError && err.status === 0;
  update(unreachable && state.live === 'open' ? { lastError: message(err), live: 'down' } : { lastError: message(err) });
}

export async function refreshHealth(): Promise<void> {
  try {
    update({ health: await get<Health>('/health') });
  } catch (err) {
    failed(err);
  }
}

export async function refreshSites(): Promise<void> {
  try {
    const body = await optional<Sites>('/sites');
    update({ sites: body === null ? null : body.sites });
  } catch (err) {
    failed(err);
  }
}

/** Orders alarm snapshots: an older copy (by updatedAt) never replaces a newer one, a stale list never lands. */
const alarmBook = new AlarmBook<Alarm>();

export async function refreshAlarms(): Promise<void> {
  const seq = alarmBook.begin();
  try {
    const list = await get<AlarmList>('/alarms?state=active&limit=200');
    const next = alarmBook.applyActive(seq, list.alarms, state.activeAlarms);
    if (next !== undefined) update({ activeAlarms: next });
  } catch (err) {
    failed(err);
  }
}

/** One alarm as an action's answer (ack, clear) or GET /alarms/:id gave it: shown at once if it is newer. */
export function noteAlarm(alarm: Alarm): void {
  const next = alarmBook.note(alarm, state.activeAlarms);
  if (next !== state.activeAlarms) update({ activeAlarms: next });
}

/** Logout: forget the alarms seen. */
export function resetAlarms(): void {
  alarmBook.reset();
  update({ activeAlarms: [] });
}

export async function refreshOutputs(): Promise<void> {
  try {
    update({ outputs: await optional<Outputs>('/outputs') });
  } catch (err) {
    failed(err);
  }
}

export async function refreshSystem(): Promise<void> {
  try {
    const system = await optional<System>('/system');
    if (system !== null) setTimeZone(system.timeZone);
    update({ system });
  } catch (err) {
    failed(err);
  }
}

/** A GET /bootstrap answer into the state: the session, the box, health, sites, open alarms and outputs at once. */
export function applyBootstrap(b: Bootstrap, seq = alarmBook.begin()): void {
  if (b.system !== null) setTimeZone(b.system.timeZone);
  const patch: Partial<State> = {
    auth: b.auth,
    system: b.system,
    health: b.health,
    sites: b.sites === null ? null : b.sites.sites,
    outputs: b.outputs,
  };
  if (b.activeAlarms !== null) {
    const next = alarmBook.applyActive(seq, b.activeAlarms.alarms, state.activeAlarms);
    if (next !== undefined) patch.activeAlarms = next;
  }
  update(patch);
}

/** Whether this box answers GET /bootstrap (false after a 404: the calls one by one instead). */
let bootstrapServed = true;

/**
 * Everything fresh, in one request (GET /bootstrap); where the box has no /bootstrap, route by route. After a
 * sign-in, and on every (re)open of the event stream (events in the gap are lost).
 */
export async function refreshAll(): Promise<unknown> {
  if (bootstrapServed) {
    const seq = alarmBook.begin();
    try {
      applyBootstrap(await bootstrap(), seq);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) return failed(err);
      bootstrapServed = false;
    }
  }
  return Promise.all([refreshSystem(), refreshHealth(), refreshSites(), refreshAlarms(), refreshOutputs()]);
}

/** Runs `fn` at most once per `ms`, the last call winning (a flood of readings costs one refetch). */
function throttle(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  let pending = false;
  return () => {
    if (timer !== undefined) {
      pending = true;
      return;
    }
    fn();
    timer = window.setTimeout(function again() {
      timer = undefined;
      if (pending) {
        pending = false;
        fn();
        timer = window.setTimeout(again, ms);
      }
    }, ms);
  };
}

let source: EventSource | undefined;
/** False after logout: a pending reconnect must not reopen the stream. */
let wanted = false;
const alarmListeners = new Set<() => void>();

/** Pages that show alarm history register here to refetch when an alarm changes. */
export function onAlarmEvent(listener: () => void): () => void {
  alarmListeners.add(listener);
  return () => {
    alarmListeners.delete(listener);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Connection watchdog. The event stream's errors catch a box that is off or a refused port, but a Wi-Fi that drops
// silently leaves the stream "open" with nothing coming, and the daemon's 15-s keep-alive comments are invisible to
// EventSource. So when nothing has been heard for SILENCE_MS the box is asked directly (GET /health, PROBE_TIMEOUT_MS
// at most; Chrome 61 has no AbortController, so the answer races a timer).

/** Nothing heard on the stream for this long: ask the box whether it is still there. */
export const SILENCE_MS = 15_000;
export const PROBE_TIMEOUT_MS = 6_000;
const WATCH_EVERY_MS = 3_000;

/** Whether the watchdog asks the box now: silent long enough, no probe under way, none in the last SILENCE_MS. */
export function shouldProbe(w: { readonly now: number; readonly lastHeardAt: number; readonly lastProbeAt: number; readonly probing: boolean }): boolean {
  return !w.probing && w.now - w.lastHeardAt >= SILENCE_MS && w.now - w.lastProbeAt >= SILENCE_MS;
}

/**
 * What a probe's answer means. The box answered: with the stream open it is only quiet (and reachable again if a
 * failed refresh had said otherwise); with the stream not open it is reopened. No answer: the box is unreachable; a
 * stream that still looks open is dead and is reopened (one that is reconnecting is left to the browser).
 */
export function afterProbe(answered: boolean, stream: 'connecting' | 'open' | 'closed'): { live?: 'open' | 'down'; reopen: boolean } {
  if (answered) return stream === 'open' ? { live: 'open', reopen: false } : { reopen: true };
  return { live: 'down', reopen: stream === 'open' };
}

let lastHeardAt = 0;
let lastProbeAt = 0;
let probing = false;
let watchdog: number | undefined;

/** Something came on the stream: the box is there. */
function heard(): void {
  lastHeardAt = Date.now();
  if (state.live !== 'open') update({ live: 'open' });
}

function streamState(): 'connecting' | 'open' | 'closed' {
  if (source === undefined || source.readyState === EventSource.CLOSED) return 'closed';
  return source.readyState === EventSource.OPEN ? 'open' : 'connecting';
}

function reopen(): void {
  if (source !== undefined) source.close();
  source = undefined;
  if (wanted) startLive();
}

function probe(): void {
  probing = true;
  lastProbeAt = Date.now();
  let timer: number | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = window.setTimeout(() => reject(new Error('probe timed out')), PROBE_TIMEOUT_MS);
  });
  Promise.race([get<Health>('/health'), timeout]).then(
    () => done(true),
    () => done(false),
  );
  function done(answered: boolean): void {
    window.clearTimeout(timer);
    probing = false;
    if (!wanted) return;
    if (answered) lastHeardAt = Date.now();
    const next = afterProbe(answered, streamState());
    if (next.live !== undefined && next.live !== state.live) update({ live: next.live });
    if (next.reopen) reopen();
  }
}

function startWatchdog(): void {
  if (watchdog !== undefined) return;
  lastHeardAt = Date.now();
  watchdog = window.setInterval(() => {
    if (wanted && shouldProbe({ now: Date.now(), lastHeardAt, lastProbeAt, probing })) probe();
  }, WATCH_EVERY_MS);
}

/**
 * Opens the live stream. EventSource reconnects by itself (the server's retry hint is 3 s); while it is down the UI
 * says 连接中断… and greys every value, and on every (re)open it refetches everything, since events in the gap are lost.
 */
export function startLive(): void {
  wanted = true;
  startWatchdog();
  if (source !== undefined) return;
  const es = new EventSource('/api/v1/events', { withCredentials: false });
  source = es;
  const sites = throttle(() => void refreshSites(), 5000);
  const health = throttle(() => void refreshHealth(), 3000);
  const outputs = throttle(() => void refreshOutputs(), 1000);
  const alarms = throttle(() => {
    void refreshAlarms();
    void refreshSites();
    // what acknowledging does (the plans' silenceOnAck) may have changed since the last output event
    void refreshOutputs();
    alarmListeners.forEach((l) => l());
  }, 500);
  const readings = throttle(() => update({ readingTick: state.readingTick + 1 }), 2000);
  es.addEventListener('hello', () => {
    heard();
    void refreshAll();
  });
  es.addEventListener('reading', () => {
    heard();
    readings();
    sites();
    health();
  });
  const on = (name: string, then: () => void): void =>
    es.addEventListener(name, () => {
      heard();
      then();
    });
  on('bus', health);
  on('breaker', health);
  on('alarm', alarms);
  on('output', outputs);
  es.onerror = () => {
    if (source !== es) return;
    if (state.live !== 'down') update({ live: 'down' });
    // A closed stream (e.g. 401 after the session expired) does not retry by itself: try again shortly.
    if (es.readyState === EventSource.CLOSED) {
      source = undefined;
      es.close();
      // If the session expired this fetch answers 401 and the app goes back to the login page.
      void refreshAlarms();
      window.setTimeout(() => {
        if (wanted) startLive();
      }, 5000);
    }
  };
}

export function stopLive(): void {
  wanted = false;
  if (source !== undefined) source.close();
  source = undefined;
  if (watchdog !== undefined) window.clearInterval(watchdog);
  watchdog = undefined;
}
