import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModbusError, zeroCounters, type BusCounters, type ModbusBus, type ReadRequest } from '../../drivers/modbus/types.js';
import { configSchema, type Config } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { StoredReading } from '../../node-daemon/core/types.js';
import { Poller, type PollerTimers } from '../../node-daemon/sensing/poller.js';
import { resolveSensors } from '../../node-daemon/sensing/profiles.js';
import type { StorageHealth } from '../../node-daemon/health/storage-health.js';
import { storageHealthFrom } from '../../node-daemon/health/storage-health.js';
import { StatusRegistry, busEndpoint, sensorStatus } from '../../node-daemon/health/status-registry.js';

const T0 = Date.UTC(2024, 5, 10, 0, 0, 0);

function siteConfig(): Config {
  return configSchema.parse({
    buses: [
      { id: 'rs485-1', type: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'even' },
      { id: 'gw', type: 'tcp', host: 'fe80::1', port: 1502 },
    ],
    sensors: [
      { id: 'dam', name: '水库坝前水位', bus: 'rs485-1', slave: 1, profile: 'submersible-level', pollIntervalMs: 1000, critical: true },
      { id: 'bridge', bus: 'rs485-1', slave: 2, profile: 'submersible-level', pollIntervalMs: 5000, staleAfterMs: 60_000 },
      {
        id: 'river',
        bus: 'gw',
        slave: 1,
        pollIntervalMs: 2000,
        profile: { functionCode: 3, addressBase: 0, value: { address: 4, type: 'int16' }, range: { min: 0, max: 20 } },
      },
    ],
  });
}

describe('sensorStatus', () => {
  it('is unknown before any reading, then stale once the limit has passed since the start', () => {
    expect(sensorStatus(undefined, 3000, T0 + 3000, T0)).toBe('unknown');
    expect(sensorStatus(undefined, 3000, T0 + 3001, T0)).toBe('stale');
  });

  it('keeps the newest quality while fresh and turns stale when the newest reading is older than the limit', () => {
    expect(sensorStatus({ ts: T0, quality: 'good' }, 3000, T0 + 3000, T0)).toBe('good');
    expect(sensorStatus({ ts: T0, quality: 'good' }, 3000, T0 + 3001, T0)).toBe('stale');
    expect(sensorStatus({ ts: T0, quality: 'comm_fail' }, 3000, T0 + 10, T0)).toBe('comm_fail');
    expect(sensorStatus({ ts: T0, quality: 'comm_fail' }, 3000, T0 + 5000, T0)).toBe('stale');
  });
});

describe('busEndpoint', () => {
  it('names serial lines with their framing and brackets IPv6 hosts', () => {
    const [rtu, tcp] = siteConfig().buses;
    expect(busEndpoint(rtu!)).toBe('/dev/ttyUSB0 9600 8E1');
    expect(busEndpoint(tcp!)).toBe('[fe80::1]:1502');
  });
});

describe('StatusRegistry', () => {
  let dir: string;
  let now: number;
  let hub: EventHub;
  let storage: StorageHealth;
  let registry: StatusRegistry;
  const counters: BusCounters = { requests: 7, responses: 5, timeouts: 2, exceptions: 0, crcErrors: 0, portErrors: 0, reconnects: 1 };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-status-'));
    now = T0;
    hub = new EventHub();
    storage = { pendingWrites: 0 };
    registry = new StatusRegistry({
      config: siteConfig(),
      hub,
      busCounters: new Map([['rs485-1', () => counters]]),
      storageStatus: () => storage,
      dataDir: dir,
      clock: () => now,
      version: '9.9.9',
    });
  });

  afterEach(async () => {
    await registry.stop();
    hub.complete();
    rmSync(dir, { recursive: true, force: true });
  });

  function allGood(ts: number): void {
    for (const sensorId of ['dam', 'bridge', 'river']) hub.reading$.next({ sensorId, ts, value: 1.25, quality: 'good' });
    hub.busStatus$.next({ busId: 'rs485-1', state: 'open', ts });
    hub.busStatus$.next({ busId: 'gw', state: 'open', ts });
  }

  it('describes every configured bus and sensor before any event', () => {
    const snap = registry.snapshot();
    expect(snap.buses.map((b) => [b.id, b.type, b.state])).toEqual([
      ['rs485-1', 'rtu', 'connecting'],
      ['gw', 'tcp', 'connecting'],
    ]);
    expect(snap.buses[0]!.counters).toEqual(counters);
    expect(snap.buses[1]!.counters.requests).toBe(0);
    expect(snap.sensors.map((s) => [s.id, s.profile, s.status, s.breaker, s.critical])).toEqual([
      ['dam', 'submersible-level', 'unknown', 'closed', true],
      ['bridge', 'submersible-level', 'unknown', 'closed', false],
      ['river', 'inline', 'unknown', 'closed', false],
    ]);
    expect(snap.sensors[0]!.name).toBe('水库坝前水位');
    expect(snap.version).toBe('9.9.9');
    // The critical sensor has not been heard from yet.
    expect(snap.status).toBe('degraded');
  });

  it('is ok when buses are open, critical sensors good and storage healthy; reports disk and uptime', () => {
    now = T0 + 65_000;
    allGood(now);
    storage = { pendingWrites: 3, lastCommitTs: now - 200 };
    const snap = registry.snapshot();
    expect(snap.status).toBe('ok');
    expect(snap.ts).toBe(now);
    expect(snap.uptimeS).toBe(65);
    expect(snap.storage).toEqual({ pendingWrites: 3, lastCommitTs: now - 200 });
    expect(snap.disk.path).toBe(dir);
    expect(snap.disk.totalBytes).toBeGreaterThan(0);
    expect(snap.disk.freeBytes).toBeGreaterThan(0);
    expect(snap.sensors[0]).toMatchObject({ status: 'good', lastGoodTs: now, lastReading: { ts: now, value: 1.25, quality: 'good' } });
  });

  it('is degraded while a bus is down and keeps its error', () => {
    allGood(T0);
    hub.busStatus$.next({ busId: 'gw', state: 'down', ts: T0 + 10, error: 'ECONNREFUSED 192.0.2.1:1502' });
    const snap = registry.snapshot();
    expect(snap.status).toBe('degraded');
    expect(snap.buses[1]).toMatchObject({ state: 'down', lastError: { ts: T0 + 10, message: 'ECONNREFUSED 192.0.2.1:1502' } });
    hub.busStatus$.next({ busId: 'gw', state: 'open', ts: T0 + 20 });
    expect(registry.snapshot().status).toBe('ok');
  });

  it('turns a critical sensor stale (and health degraded) once its newest good reading is older than 3 poll intervals', () => {
    allGood(T0);
    now = T0 + 3000;
    expect(registry.sensor('dam')!.status).toBe('good');
    expect(registry.snapshot().status).toBe('ok');
    now = T0 + 3001;
    expect(registry.sensor('dam')).toMatchObject({ status: 'stale', lastGoodTs: T0 });
    expect(registry.snapshot().status).toBe('degraded');
    // bridge has its own limit of 60 s and river 3 x 2 s: only a non-critical one, so it alone does not degrade.
    now = T0 + 7000;
    hub.reading$.next({ sensorId: 'dam', ts: now, value: 1.3, quality: 'good' });
    expect(registry.sensor('bridge')!.status).toBe('good');
    expect(registry.sensor('river')!.status).toBe('stale');
    expect(registry.snapshot().status).toBe('ok');
  });

  it('shows a failed poll and the breaker on the sensors of that slave, and the wire error on the bus', () => {
    allGood(T0);
    hub.busError$.next({ busId: 'rs485-1', slave: 1, ts: T0 + 100, kind: 'timeout', message: 'no response in 1000 ms' });
    hub.breaker$.next({ busId: 'rs485-1', slave: 1, state: 'open', ts: T0 + 100 });
    hub.reading$.next({ sensorId: 'dam', ts: T0 + 100, value: null, quality: 'comm_fail', detail: 'timeout' });
    now = T0 + 200;
    const dam = registry.sensor('dam')!;
    expect(dam).toMatchObject({ status: 'comm_fail', breaker: 'open', lastGoodTs: T0, lastError: { ts: T0 + 100, message: 'timeout' } });
    expect(registry.sensor('bridge')!.breaker).toBe('closed');
    expect(registry.snapshot().buses[0]!.lastError).toEqual({ ts: T0 + 100, message: 'slave 1: timeout: no response in 1000 ms' });
    expect(registry.snapshot().status).toBe('degraded');
    hub.breaker$.next({ busId: 'rs485-1', slave: 1, state: 'half_open', ts: T0 + 300 });
    expect(registry.sensor('dam')!.breaker).toBe('half_open');
  });

  it('is degraded while storage reports an error', () => {
    allGood(T0);
    storage = { pendingWrites: 812, lastError: 'SQLITE_FULL: database or disk is full' };
    const snap = registry.snapshot();
    expect(snap.status).toBe('degraded');
    expect(snap.storage.lastError).toBe('SQLITE_FULL: database or disk is full');
  });

  it('ignores events about buses and sensors that are not configured', () => {
    hub.reading$.next({ sensorId: 'ghost', ts: T0, value: 1, quality: 'good' });
    hub.busStatus$.next({ busId: 'ghost-bus', state: 'down', ts: T0 });
    const snap = registry.snapshot();
    expect(snap.sensors.map((s) => s.id)).toEqual(['dam', 'bridge', 'river']);
    expect(snap.buses.map((b) => b.id)).toEqual(['rs485-1', 'gw']);
  });

  it('stops following the hub after stop()', async () => {
    await registry.stop();
    hub.reading$.next({ sensorId: 'dam', ts: T0, value: 1, quality: 'good' });
    expect(registry.sensor('dam')!.lastReading).toBeUndefined();
  });

  it('seeds the last known readings from storage', () => {
    const stored: Record<string, StoredReading[]> = {
      dam: [
        { id: 1, sensorId: 'dam', ts: T0 - 60_000, value: 2, quality: 'good' },
        { id: 2, sensorId: 'dam', ts: T0 - 30_000, value: null, quality: 'comm_fail' },
      ],
    };
    registry.seed({
      latest: (id) => stored[id]?.at(-1),
      latestGood: (id) => stored[id]?.filter((r) => r.quality === 'good').at(-1),
    });
    expect(registry.sensor('dam')).toMatchObject({
      status: 'stale',
      lastGoodTs: T0 - 60_000,
      lastReading: { ts: T0 - 30_000, value: null, quality: 'comm_fail' },
    });
    expect(registry.sensor('bridge')!.lastReading).toBeUndefined();
  });
});

describe('StatusRegistry fed by the Poller: two sensors on one slave (virtual time, fake bus)', () => {
  /**
   * Stands in for a Modbus driver: answers from a register table and, like the real one, reports a failed
   * transaction through its onError callback (forwarded to hub.busError$, which carries only bus and slave) before
   * rejecting the read with a ModbusError.
   */
  class TableBus implements ModbusBus {
    readonly id = 'rs485-1';
    constructor(
      private readonly hub: EventHub,
      private readonly clock: () => number,
      /** Register address -> value; a read of an address not listed fails with exception 2. */
      private readonly table: ReadonlyMap<number, number>,
    ) {}
    async start(): Promise<void> {}
    async stop(): Promise<void> {}
    counters(): Readonly<BusCounters> {
      return zeroCounters();
    }
    async read(req: ReadRequest): Promise<number[]> {
      const values = Array.from({ length: req.count }, (_, i) => this.table.get(req.address + i));
      if (values.every((v) => v !== undefined)) return values;
      const err = new ModbusError('exception', 'Modbus exception 2: Illegal data address (register not supported by device)', 2);
      this.hub.busError$.next({ busId: this.id, slave: req.slave, ts: this.clock(), kind: 'exception', message: err.message });
      throw err;
    }
  }

  /** Timers that never fire on their own: the test decides when time passes. */
  const idleTimers: PollerTimers = { setTimeout: () => undefined, clearTimeout: () => undefined };

  const level = (address: number) => ({ functionCode: 3, addressBase: 0, value: { address, type: 'int16' }, range: { min: 0, max: 20 } });

  it("shows each sensor its own read's error, not its neighbour's on the same slave", async () => {
    const config = configSchema.parse({
      buses: [{ id: 'rs485-1', type: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600 }],
      sensors: [
        { id: 'upstream', bus: 'rs485-1', slave: 1, profile: level(100), pollIntervalMs: 1000 },
        { id: 'downstream', bus: 'rs485-1', slave: 1, profile: level(110), pollIntervalMs: 1000 },
      ],
    });
    const now = T0;
    const hub = new EventHub();
    const registry = new StatusRegistry({
      config,
      hub,
      busCounters: new Map(),
      storageStatus: () => ({ pendingWrites: 0 }),
      dataDir: '/nonexistent',
      clock: () => now,
      version: '9.9.9',
    });
    const bus = new TableBus(hub, () => now, new Map([[100, 3]]));
    const poller = new Poller({
      sensors: resolveSensors(config),
      buses: new Map([[bus.id, bus]]),
      hub,
      clock: () => now,
      logger: silentLogger(),
      timers: idleTimers,
    });
    await poller.start();
    await poller.stop(); // resolves once both polls have emitted their readings

    const [upstream, downstream] = registry.sensors();
    expect(upstream).toMatchObject({ id: 'upstream', status: 'good', lastGoodTs: T0, lastReading: { value: 3, quality: 'good' } });
    expect(upstream!.lastError, "the healthy sensor must not show its neighbour's failure").toBeUndefined();
    expect(downstream).toMatchObject({
      id: 'downstream',
      status: 'comm_fail',
      lastError: { ts: T0, message: 'exception: Modbus exception 2: Illegal data address (register not supported by device)' },
    });
    // The wire error stays the bus's.
    expect(registry.buses()[0]!.lastError).toEqual({
      ts: T0,
      message: 'slave 1: exception: Modbus exception 2: Illegal data address (register not supported by device)',
    });
    await registry.stop();
    hub.complete();
  });
});

describe('storageHealthFrom', () => {
  it('shows the error only while writes are failing', () => {
    const failing = {
      ok: false,
      lastCommitTs: null,
      pendingWrites: 10,
      consecutiveFailures: 2,
      lastError: { ts: T0, code: 'SQLITE_FULL', message: 'database or disk is full' },
      droppedReadings: 0,
      lastSeq: null,
    };
    expect(storageHealthFrom(failing)).toEqual({ pendingWrites: 10, lastError: 'SQLITE_FULL: database or disk is full' });
    expect(storageHealthFrom({ ...failing, ok: true, lastCommitTs: T0 + 5, pendingWrites: 0 })).toEqual({ pendingWrites: 0, lastCommitTs: T0 + 5 });
  });
});
