import { describe, expect, it } from 'vitest';
import { judgeLiveness, type Heartbeats } from '../../node-daemon/core/liveness.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { SystemdNotifier, takeNotifyEnv, type NotifierTimers, type NotifyTransport } from '../../node-daemon/core/sd-notify.js';

describe('takeNotifyEnv', () => {
  it('reads NOTIFY_SOCKET and the watchdog, and takes them out of the environment', () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42', PATH: '/usr/bin' };
    expect(takeNotifyEnv(env, 42)).toEqual({ socket: '/run/systemd/notify', watchdogMs: 30_000 });
    expect(env).toEqual({ PATH: '/usr/bin' });
  });

  it('is undefined without NOTIFY_SOCKET (not a notify service): nothing is ever sent', () => {
    expect(takeNotifyEnv({}, 1)).toBeUndefined();
    expect(takeNotifyEnv({ NOTIFY_SOCKET: '', WATCHDOG_USEC: '1000' }, 1)).toBeUndefined();
  });

  it('has no watchdog when WATCHDOG_PID names another process, or WATCHDOG_USEC is absent or junk', () => {
    expect(takeNotifyEnv({ NOTIFY_SOCKET: '@x', WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7' }, 8)?.watchdogMs).toBeUndefined();
    expect(takeNotifyEnv({ NOTIFY_SOCKET: '@x' }, 8)?.watchdogMs).toBeUndefined();
    expect(takeNotifyEnv({ NOTIFY_SOCKET: '@x', WATCHDOG_USEC: '2s' }, 8)?.watchdogMs).toBeUndefined();
    expect(takeNotifyEnv({ NOTIFY_SOCKET: '@x', WATCHDOG_USEC: '2000000' }, 8)?.watchdogMs).toBe(2000);
  });
});

/** Heartbeats of a healthy box at monotonic time `now`: 3 sensors at 5 s, rules ticking every second. */
function healthy(now: number): Heartbeats {
  return {
    poller: { running: true, sensors: 3, lastProgressAt: now - 2_000, oldestInFlightSince: now - 1_000, longestIntervalMs: 5_000 },
    rules: { running: true, subscribed: true, lastTickAt: now - 900, tickMs: 1_000 },
  };
}

describe('judgeLiveness (pure, injected times)', () => {
  const now = 1_000_000;

  it('alive when the poller made progress and the rules ticked recently', () => {
    expect(judgeLiveness(healthy(now), now)).toEqual({ alive: true });
  });

  it('a poller whose loop stopped (no poll started or settled for longer than the limit) is dead', () => {
    const hb = healthy(now);
    const quiet = { ...hb, poller: { ...hb.poller, lastProgressAt: now - 61_000, oldestInFlightSince: undefined } };
    const v = judgeLiveness(quiet, now);
    expect(v.alive).toBe(false);
    expect(!v.alive && v.reasons.join()).toMatch(/poller has neither started nor finished a poll for 61\.0 s \(limit 60\.0 s\)/);
    // The limit grows with the longest poll interval: a sensor polled every 10 min is not late after a minute.
    expect(judgeLiveness({ ...quiet, poller: { ...quiet.poller, longestIntervalMs: 600_000 } }, now)).toEqual({ alive: true });
  });

  it('a poll stuck in flight past the limit is dead even while other sensors are polled', () => {
    const hb = healthy(now);
    const v = judgeLiveness({ ...hb, poller: { ...hb.poller, oldestInFlightSince: now - 600_001 } }, now);
    expect(!v.alive && v.reasons.join()).toMatch(/a poll has been in flight for 600\.0 s/);
  });

  it('a stopped poller, stopped rules, rules deaf to readings, rules not ticking: each is dead, each said', () => {
    const hb = healthy(now);
    const reasons = (h: Heartbeats): string => {
      const v = judgeLiveness(h, now);
      return v.alive ? 'alive' : v.reasons.join('; ');
    };
    expect(reasons({ ...hb, poller: { ...hb.poller, running: false } })).toBe('poller stopped');
    expect(reasons({ ...hb, rules: { ...hb.rules, running: false } })).toBe('alarm rules stopped');
    expect(reasons({ ...hb, rules: { ...hb.rules, subscribed: false } })).toBe('alarm rules no longer hear the readings');
    expect(reasons({ ...hb, rules: { ...hb.rules, lastTickAt: now - 31_000 } })).toMatch(/^alarm rules have not ticked for 31\.0 s/);
  });

  it('a box without sensors has nothing to poll: only the rules count', () => {
    const hb = healthy(now);
    expect(judgeLiveness({ ...hb, poller: { ...hb.poller, sensors: 0, lastProgressAt: now - 3_600_000 } }, now)).toEqual({ alive: true });
  });
});

/** Virtual interval timer: `fire()` runs the callback as the interval would. */
function virtualTimers(): NotifierTimers & { fire(): void; periodMs: number | undefined; cleared: boolean } {
  let fn: (() => void) | undefined;
  const t = {
    periodMs: undefined as number | undefined,
    cleared: false,
    setInterval: (f: () => void, ms: number) => {
      fn = f;
      t.periodMs = ms;
      return 1;
    },
    clearInterval: () => {
      t.cleared = true;
      fn = undefined;
    },
    fire: () => fn?.(),
  };
  return t;
}

function recordingTransport(): NotifyTransport & { sent: string[][] } {
  const sent: string[][] = [];
  return { sent, send: async (fields) => void sent.push([...fields]) };
}

describe('SystemdNotifier (recorded messages, virtual timers)', () => {
  it('READY=1 after the awaited first cycle, pings at half WATCHDOG_USEC while alive, none while dead, STOPPING=1 at the end', async () => {
    const transport = recordingTransport();
    const timers = virtualTimers();
    let now = 0;
    let hb = healthy(now);
    const n = new SystemdNotifier({ transport, watchdogMs: 30_000, heartbeats: () => hb, log: silentLogger(), timers, now: () => now });
    let finishCycle!: () => void;
    const ready = n.readyAfter(new Promise<void>((r) => (finishCycle = r)), () => 'polling 3 sensors');
    await new Promise((r) => setTimeout(r, 20));
    expect(transport.sent).toEqual([]); // the first poll cycle has not finished
    finishCycle();
    await ready;
    expect(transport.sent).toEqual([['READY=1', 'STATUS=polling 3 sensors']]);
    expect(timers.periodMs).toBe(15_000);

    now = 15_000;
    hb = healthy(now);
    timers.fire();
    await flush();
    expect(transport.sent.at(-1)).toEqual(['WATCHDOG=1']);

    // The poller's loop stops making progress: the ping is withheld, STATUS says why (once), nothing more after.
    now = 90_000;
    hb = { ...healthy(now), poller: { ...healthy(now).poller, lastProgressAt: 15_000, oldestInFlightSince: undefined } };
    timers.fire();
    timers.fire();
    await flush();
    const afterDead = transport.sent.slice(2);
    expect(afterDead).toHaveLength(1);
    expect(afterDead[0]![0]).toMatch(/^STATUS=watchdog withheld: poller has neither started nor finished a poll for 75\.0 s/);

    // Alive again: pings resume with the ready status back.
    now = 105_000;
    hb = healthy(now);
    timers.fire();
    await flush();
    expect(transport.sent.at(-1)).toEqual(['WATCHDOG=1', 'STATUS=polling 3 sensors']);

    await n.stop();
    expect(transport.sent.at(-1)).toEqual(['STOPPING=1', 'STATUS=stopping']);
    expect(timers.cleared).toBe(true);
    const count = transport.sent.length;
    timers.fire();
    await flush();
    expect(transport.sent).toHaveLength(count);
  });

  it('no READY once stopping began (a signal during the first poll cycle); no pings without WATCHDOG_USEC', async () => {
    const transport = recordingTransport();
    const timers = virtualTimers();
    const n = new SystemdNotifier({ transport, watchdogMs: undefined, heartbeats: () => healthy(0), log: silentLogger(), timers, now: () => 0 });
    let finishCycle!: () => void;
    const ready = n.readyAfter(new Promise<void>((r) => (finishCycle = r)), () => 'x');
    await n.stop();
    finishCycle();
    await ready;
    expect(transport.sent).toEqual([['STOPPING=1', 'STATUS=stopping']]);

    const m = new SystemdNotifier({ transport: recordingTransport(), watchdogMs: undefined, heartbeats: () => healthy(0), log: silentLogger(), timers, now: () => 0 });
    timers.periodMs = undefined;
    await m.ready('x');
    expect(timers.periodMs).toBeUndefined();
  });

  it('a ping is dropped, not queued, while the previous one is still on its way', async () => {
    let release!: () => void;
    const sent: string[][] = [];
    const transport: NotifyTransport = {
      send: (fields) => {
        sent.push([...fields]);
        return fields[0] === 'WATCHDOG=1' && sent.filter((f) => f[0] === 'WATCHDOG=1').length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    };
    const timers = virtualTimers();
    const n = new SystemdNotifier({ transport, watchdogMs: 2_000, heartbeats: () => healthy(0), log: silentLogger(), timers, now: () => 0 });
    await n.ready('x');
    timers.fire();
    await flush();
    timers.fire();
    timers.fire();
    await flush();
    expect(sent.filter((f) => f[0] === 'WATCHDOG=1')).toHaveLength(1);
    release();
    await flush();
    timers.fire();
    await flush();
    expect(sent.filter((f) => f[0] === 'WATCHDOG=1')).toHaveLength(2);
  });
});

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
