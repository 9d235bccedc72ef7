import { describe, expect, it } from 'vitest';
import type { BusCounters, ModbusBus } from '../../drivers/modbus/types.js';
import { sensorSchema } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { judgeLiveness, monotonicMs } from '../../node-daemon/core/liveness.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { Poller } from '../../node-daemon/sensing/poller.js';
import { resolveSensors } from '../../node-daemon/sensing/profiles.js';

/** A bus whose reads never settle (a driver bug: no timeout fired): the poll loop is stuck on it. */
class HungBus implements ModbusBus {
  readonly id = 'hung';
  reads = 0;
  start = async (): Promise<void> => undefined;
  stop = async (): Promise<void> => undefined;
  counters = (): Readonly<BusCounters> => ({}) as BusCounters;
  read(): Promise<number[]> {
    this.reads++;
    return new Promise(() => undefined);
  }
}

describe('the poller\'s heartbeat for the systemd watchdog (real Poller)', () => {
  const sensors = [sensorSchema.parse({ id: 'dam', bus: 'hung', slave: 1, profile: 'generic-uint16-cm', pollIntervalMs: 100 })];
  const rules = { running: true, subscribed: true, lastTickAt: 0, tickMs: 1000 };

  it('a poll that never settles shows as in flight since it started, and is judged dead past the limit; first cycle never ends', async () => {
    const bus = new HungBus();
    const poller = new Poller({ sensors: resolveSensors({ sensors, profiles: {} } as never), buses: new Map([['hung', bus]]), hub: new EventHub(), clock: systemClock, logger: silentLogger() });
    await poller.start();
    await new Promise((r) => setTimeout(r, 300));
    const hb = poller.heartbeat();
    expect(bus.reads).toBe(1); // one poll in flight per sensor: the loop waits on it for ever
    expect(hb).toMatchObject({ running: true, sensors: 1, longestIntervalMs: 100 });
    expect(hb.oldestInFlightSince).toBeDefined();
    const now = monotonicMs();
    expect(judgeLiveness({ poller: hb, rules: { ...rules, lastTickAt: now } }, now)).toEqual({ alive: true });
    const later = hb.oldestInFlightSince! + 600_001;
    const v = judgeLiveness({ poller: hb, rules: { ...rules, lastTickAt: later } }, later);
    expect(v.alive).toBe(false);
    let done = false;
    void poller.firstCycle().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    void poller.stop();
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(true); // stop() releases a READY that waits on it (no READY is sent once stopping)
    expect(judgeLiveness({ poller: poller.heartbeat(), rules: { ...rules, lastTickAt: now } }, now)).toEqual({ alive: false, reasons: ['poller stopped'] });
  });
});
