import { afterEach, describe, expect, it } from 'vitest';
import type { BusCounters, ModbusBus, ReadRequest } from '../../drivers/modbus/types.js';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { recordedBus, tcpConfig, waitFor } from '../modbus/bus-fixtures.js';
import { sensorSchema } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { systemClock, type Reading } from '../../node-daemon/core/types.js';
import { Poller } from '../../node-daemon/sensing/poller.js';
import { resolveSensors } from '../../node-daemon/sensing/profiles.js';

/** Passes every read to a real bus and records what the poller asked for and how many reads per slave overlap. */
class WatchedBus implements ModbusBus {
  readonly requests: ReadRequest[] = [];
  readonly outstanding = new Map<number, number>();
  maxOutstanding = 0;
  constructor(private readonly inner: ModbusBus) {}
  get id(): string {
    return this.inner.id;
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
  counters(): Readonly<BusCounters> {
    return this.inner.counters();
  }
  async read(req: ReadRequest): Promise<number[]> {
    this.requests.push(req);
    const n = (this.outstanding.get(req.slave) ?? 0) + 1;
    this.outstanding.set(req.slave, n);
    this.maxOutstanding = Math.max(this.maxOutstanding, n);
    try {
      return await this.inner.read(req);
    } finally {
      this.outstanding.set(req.slave, (this.outstanding.get(req.slave) ?? 1) - 1);
    }
  }
  totalOutstanding(): number {
    return [...this.outstanding.values()].reduce((a, b) => a + b, 0);
  }
}

const radarBlock = [0x0000, 0x4070]; // 3.75 m, CDAB

const RIVER: SlaveMap = {
  units: {
    '1': { holding: { '2': [7, 3, 1234] } },
    '2': { holding: { '0': radarBlock } },
    '3': { holding: { '2': [7, 3, 0x7fff] } },
    // unit 9 is silent: not listed
  },
};
const TOWN: SlaveMap = { units: { '4': { holding: { '2': [0x0000, 0x3039] } } } };

const sensorsConfig = [
  { id: 'dam', bus: 'river', slave: 1, profile: 'submersible-level', critical: true, datumOffsetM: 100, pollIntervalMs: 100 },
  { id: 'radar', bus: 'river', slave: 2, profile: 'radar-level-float32', datumOffsetM: -0.5, pollIntervalMs: 150 },
  { id: 'no-value', bus: 'river', slave: 3, profile: 'submersible-level', pollIntervalMs: 200 },
  { id: 'silent', bus: 'river', slave: 9, profile: 'submersible-level', pollIntervalMs: 100 },
  { id: 'town', bus: 'town', slave: 4, profile: 'sl651-level', pollIntervalMs: 100 },
].map((s) => sensorSchema.parse(s));

describe('Poller against pymodbus slaves on two TCP buses', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(): Promise<{ poller: Poller; river: WatchedBus; town: WatchedBus; readings: Reading[] }> {
    const [riverSlave, townSlave] = await Promise.all([
      startPymodbusSlave({ map: RIVER, endpoint: { kind: 'tcp' } }),
      startPymodbusSlave({ map: TOWN, endpoint: { kind: 'tcp' } }),
    ]);
    cleanups.push(() => riverSlave.stop(), () => townSlave.stop());
    const river = new WatchedBus(recordedBus(tcpConfig({ id: 'river', port: riverSlave.port ?? 0, timeoutMs: 300 })).bus);
    const town = new WatchedBus(recordedBus(tcpConfig({ id: 'town', port: townSlave.port ?? 0 })).bus);
    cleanups.push(() => river.stop(), () => town.stop());
    await Promise.all([river.start(), town.start()]);
    const hub = new EventHub();
    const readings: Reading[] = [];
    hub.reading$.subscribe((r) => readings.push(r));
    const poller = new Poller({
      sensors: resolveSensors({ sensors: sensorsConfig, profiles: {} }),
      buses: new Map<string, ModbusBus>([
        ['river', river],
        ['town', town],
      ]),
      hub,
      clock: systemClock,
      logger: silentLogger(),
    });
    cleanups.push(() => poller.stop());
    return { poller, river, town, readings };
  }

  it('emits decoded readings with the datum offset, comm_fail with a detail for a dead device, and keeps polling the others', async () => {
    const { poller, river, town, readings } = await setUp();
    await poller.start();
    const of = (id: string): Reading[] => readings.filter((r) => r.sensorId === id);
    await waitFor('breaker to open on the silent unit and 3 readings of each live sensor', () =>
      of('silent').some((r) => r.detail?.startsWith('breaker_open') === true) && ['dam', 'radar', 'no-value', 'town'].every((id) => of(id).length >= 3),
    );
    await poller.stop();

    for (const r of of('dam')) expect(r).toMatchObject({ value: 101.234, quality: 'good' });
    for (const r of of('radar')) expect(r).toMatchObject({ value: 3.25, quality: 'good' });
    for (const r of of('town')) expect(r).toMatchObject({ value: 12.345, quality: 'good' });
    for (const r of of('no-value')) expect(r).toMatchObject({ value: null, quality: 'stale', detail: expect.stringMatching(/sentinel/) });
    for (const r of of('silent')) expect(r).toMatchObject({ value: null, quality: 'comm_fail', detail: expect.stringMatching(/^(timeout|breaker_open): /) });
    expect(of('silent')[0]?.detail).toMatch(/^timeout: /);
    for (const r of readings) expect(r.ts).toBeGreaterThan(Date.UTC(2020, 0, 1));

    // One block read per poll, as planned; critical sensors ask for priority 0; never two polls of one device at once.
    expect(river.requests.filter((q) => q.slave === 1).length).toBeGreaterThanOrEqual(3);
    expect(river.requests.filter((q) => q.slave === 1).every((q) => q.priority === 0 && q.address === 2 && q.count === 3 && q.functionCode === 3)).toBe(true);
    expect(river.requests.filter((q) => q.slave !== 1).every((q) => q.priority === 1)).toBe(true);
    expect(town.requests.every((q) => q.address === 2 && q.count === 2)).toBe(true);
    expect(river.maxOutstanding).toBe(1);
    expect(town.maxOutstanding).toBe(1);
    // Every read produced exactly one reading.
    expect(readings).toHaveLength(river.requests.length + town.requests.length);
  });

  it('stop waits for the poll in flight, emits its reading, and starts no more polls', async () => {
    const { poller, river, town, readings } = await setUp();
    await poller.start();
    await waitFor('a read of the silent unit in flight', () => (river.outstanding.get(9) ?? 0) > 0);
    await poller.stop();
    expect(river.totalOutstanding() + town.totalOutstanding()).toBe(0);
    expect(readings.filter((r) => r.sensorId === 'silent').at(-1)).toMatchObject({ quality: 'comm_fail', detail: expect.stringMatching(/^timeout/) });
    const requests = river.requests.length + town.requests.length;
    expect(readings).toHaveLength(requests);
    // Long enough for several polls at 100 ms had the poller not stopped.
    await new Promise((r) => setTimeout(r, 400));
    expect(river.requests.length + town.requests.length).toBe(requests);
    expect(readings).toHaveLength(requests);
  });

  it('refuses a sensor on a bus it was not given', () => {
    const [first] = resolveSensors({ sensors: sensorsConfig, profiles: {} });
    expect(first).toBeDefined();
    expect(() => new Poller({ sensors: first ? [first] : [], buses: new Map(), hub: new EventHub(), clock: systemClock, logger: silentLogger() })).toThrow(
      /sensor "dam" is on bus "river", which is not one of the buses/,
    );
  });
});

