import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, type Alarm, type AlarmList, type AuthState, type Health, type Outputs, type Site, type SystemInfo } from './api.js';
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
  system: SystemInfo | null | undefined;
  /** 'open' after the event stream said hello; 'down' while it reconnects. */
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

export async function refreshHealth(): Promise<void> {
  try {
    const health = await get<Health>('/health');
    if (health.timezone !== undefined) setTimeZone(health.timezone);
    update({ health });
  } catch (err) {
    update({ lastError: message(err) });
  }
}

export async function refreshSites(): Promise<void> {
  try {
    const body = await optional<{ sites: readonly Site[] } | readonly Site[]>('/sites');
    const sites = body === null ? null : Array.isArray(body) ? (body as readonly Site[]) : (body as { sites: readonly Site[] }).sites;
    update({ sites });
  } catch (err) {
    update({ lastError: message(err) });
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
    update({ lastError: message(err) });
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
    update({ lastError: message(err) });
  }
}

export async function refreshSystem(): Promise<void> {
  try {
    const system = await optional<SystemInfo>('/system');
    if (system !== null) setTimeZone(system.timezone !== undefined ? system.timezone : system.timeZone);
    update({ system });
  } catch (err) {
    update({ lastError: message(err) });
  }
}

export function refreshAll(): Promise<unknown> {
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

/**
 * Opens the live stream. EventSource reconnects by itself (the server's retry hint is 3 s); while it is down the UI
 * says 连接中断…, and on every (re)open it refetches everything, since events in the gap are lost.
 */
export function startLive(): void {
  wanted = true;
  if (source !== undefined) return;
  const es = new EventSource('/api/v1/events', { withCredentials: false });
  source = es;
  const sites = throttle(() => void refreshSites(), 5000);
  const health = throttle(() => void refreshHealth(), 3000);
  const outputs = throttle(() => void refreshOutputs(), 1000);
  const alarms = throttle(() => {
    void refreshAlarms();
    void refreshSites();
    alarmListeners.forEach((l) => l());
  }, 500);
  const readings = throttle(() => update({ readingTick: state.readingTick + 1 }), 2000);
  es.addEventListener('hello', () => {
    update({ live: 'open' });
    void refreshAll();
  });
  es.addEventListener('reading', () => {
    readings();
    sites();
    health();
  });
  es.addEventListener('bus', health);
  es.addEventListener('breaker', health);
  es.addEventListener('alarm', alarms);
  es.addEventListener('output', outputs);
  es.onerror = () => {
    if (state.live !== 'down') update({ live: 'down' });
    // A closed stream (e.g. 401 after the session expired) does not retry by itself: try again shortly.
    if (es.readyState === EventSource.CLOSED) {
      if (source === es) source = undefined;
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
}
