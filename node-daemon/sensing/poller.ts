import type { Logger } from 'pino';
import { ModbusError, type ModbusBus } from '../../drivers/modbus/types.js';
import type { EventHub } from '../core/events.js';
import { monotonicMs, type PollerHeartbeat } from '../core/liveness.js';
import type { Module } from '../core/module.js';
import type { Clock, Quality, Reading } from '../core/types.js';
import { decodeRegisters } from './decode.js';
import type { SensorWithProfile } from './profiles.js';
import { PollSchedule } from './schedule.js';
import { roundMetres } from './units.js';

/** Something that runs a callback later; the real timers by default, virtual ones in tests. */
export interface PollerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PollerOptions {
  readonly sensors: readonly SensorWithProfile[];
  /** Bus id -> bus; every sensor's `bus` must be here. The poller never starts or stops buses. */
  readonly buses: ReadonlyMap<string, ModbusBus>;
  readonly hub: EventHub;
  /** Stamps each reading (the wall clock). */
  readonly clock: Clock;
  /**
   * Runs the poll schedule: a clock that never jumps (core/time-base.ts `mono`), so a wall-clock step of hours
   * neither stalls polling nor fires every poll at once. Default `clock`.
   */
  readonly scheduleClock?: Clock;
  readonly logger: Logger;
  readonly timers?: PollerTimers;
}

const realTimers: PollerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Priority of a poll on its bus's queue: alarm-critical sensors go first. */
export const CRITICAL_PRIORITY = 0;
export const NORMAL_PRIORITY = 1;

interface Target extends SensorWithProfile {
  readonly bus: ModbusBus;
}

/**
 * Polls every sensor at its interval through its bus's queue (so buses run in parallel and a dead device only
 * costs its own bus time), with at most one poll in flight per sensor, and emits one Reading per poll on
 * hub.reading$. Decoding problems and failed reads become readings with a quality and a detail, never exceptions.
 */
export class Poller implements Module {
  readonly name = 'poller';
  private readonly targets = new Map<string, Target>();
  private readonly timers: PollerTimers;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly lastQuality = new Map<string, Quality>();
  private schedule: PollSchedule | undefined;
  private timer: unknown;
  private running = false;
  /** Liveness for the systemd watchdog (heartbeat()): monotonic ms of the last poll started or settled. */
  private lastProgressAt = monotonicMs();
  /** Sensor id -> when (monotonic ms) its poll in flight started. */
  private readonly inFlightSince = new Map<string, number>();
  /** Sensors not yet polled once since start(); firstCycle() resolves when it is empty. */
  private readonly firstCycleLeft = new Set<string>();
  private firstCycleDone: () => void = () => undefined;
  private firstCyclePromise: Promise<void> = Promise.resolve();

  /** Throws when a sensor names a bus that is not in `buses`, or two sensors share an id. */
  constructor(private readonly opts: PollerOptions) {
    this.timers = opts.timers ?? realTimers;
    for (const entry of opts.sensors) {
      const { id, bus: busId } = entry.sensor;
      const bus = opts.buses.get(busId);
      if (bus === undefined) throw new Error(`sensor "${id}" is on bus "${busId}", which is not one of the buses (${[...opts.buses.keys()].join(', ')})`);
      if (this.targets.has(id)) throw new Error(`two sensors have the id "${id}"`);
      this.targets.set(id, { ...entry, bus });
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const sensors = [...this.targets.values()].map(({ sensor }) => ({ id: sensor.id, intervalMs: sensor.pollIntervalMs, critical: sensor.critical }));
    this.schedule = new PollSchedule(sensors, this.scheduleNow());
    this.lastProgressAt = monotonicMs();
    for (const { id } of sensors) this.firstCycleLeft.add(id);
    this.firstCyclePromise = new Promise((resolve) => (this.firstCycleDone = resolve));
    if (this.firstCycleLeft.size === 0) this.firstCycleDone();
    this.opts.logger.info({ event: 'poller.start', sensors: sensors.length }, 'polling started');
    this.tick();
  }

  /** Stops starting polls and resolves once every poll in flight has settled (and emitted its reading). */
  async stop(): Promise<void> {
    if (!this.running) {
      await Promise.allSettled([...this.inFlight]);
      return;
    }
    this.running = false;
    this.disarm();
    this.firstCycleDone();
    await Promise.allSettled([...this.inFlight]);
    this.opts.logger.info({ event: 'poller.stop' }, 'polling stopped');
  }

  private tick = (): void => {
    this.timer = undefined;
    const schedule = this.schedule;
    if (!this.running || schedule === undefined) return;
    const now = this.scheduleNow();
    for (const id of schedule.due(now)) {
      const target = this.targets.get(id);
      if (target === undefined) continue;
      schedule.started(id, now);
      this.lastProgressAt = monotonicMs();
      this.inFlightSince.set(id, this.lastProgressAt);
      const poll: Promise<void> = this.poll(target).finally(() => {
        this.inFlight.delete(poll);
        schedule.finished(id);
        this.lastProgressAt = monotonicMs();
        this.inFlightSince.delete(id);
        if (this.firstCycleLeft.delete(id) && this.firstCycleLeft.size === 0) this.firstCycleDone();
        this.arm();
      });
      this.inFlight.add(poll);
    }
    this.arm();
  };

  /** Resolves once every sensor has had one poll settled (its reading emitted) since start(), or the poller stopped. */
  firstCycle(): Promise<void> {
    return this.firstCyclePromise;
  }

  /** What the systemd watchdog asks before each ping (core/liveness.ts). */
  heartbeat(): PollerHeartbeat {
    let oldest: number | undefined;
    for (const since of this.inFlightSince.values()) if (oldest === undefined || since < oldest) oldest = since;
    return {
      running: this.running,
      sensors: this.targets.size,
      lastProgressAt: this.lastProgressAt,
      oldestInFlightSince: oldest,
      longestIntervalMs: Math.max(0, ...[...this.targets.values()].map((t) => t.sensor.pollIntervalMs)),
    };
  }

  private arm(): void {
    this.disarm();
    const wake = this.schedule?.nextWakeUp();
    if (!this.running || wake === undefined) return;
    this.timer = this.timers.setTimeout(this.tick, Math.max(0, wake - this.scheduleNow()));
  }

  private scheduleNow(): number {
    return (this.opts.scheduleClock ?? this.opts.clock)();
  }

  private disarm(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One poll: never rejects. */
  private async poll({ sensor, profile, bus }: Target): Promise<void> {
    const { plan } = profile;
    let reading: Reading;
    try {
      const registers = await bus.read({
        slave: sensor.slave,
        functionCode: plan.functionCode,
        address: plan.address,
        count: plan.count,
        priority: sensor.critical ? CRITICAL_PRIORITY : NORMAL_PRIORITY,
      });
      const ts = this.opts.clock();
      try {
        const d = decodeRegisters(profile.profile, registers, plan);
        reading = {
          sensorId: sensor.id,
          ts,
          value: d.value === null ? null : roundMetres(d.value + sensor.datumOffsetM),
          quality: d.quality,
          ...(d.detail !== undefined ? { detail: d.detail } : {}),
        };
      } catch (err) {
        reading = { sensorId: sensor.id, ts, value: null, quality: 'comm_fail', detail: `unusable response: ${message(err)}` };
      }
    } catch (err) {
      const detail = err instanceof ModbusError ? `${err.kind}: ${err.message}` : message(err);
      reading = { sensorId: sensor.id, ts: this.opts.clock(), value: null, quality: 'comm_fail', detail };
    }
    this.logChange(reading);
    this.opts.hub.reading$.next(reading);
  }

  /** Logs a sensor's quality when it changes, not on every poll, so a dead device does not flood the journal. */
  private logChange(r: Reading): void {
    const before = this.lastQuality.get(r.sensorId);
    if (before === r.quality) return;
    this.lastQuality.set(r.sensorId, r.quality);
    const fields = { event: 'sensor.quality', sensor: r.sensorId, quality: r.quality, was: before ?? 'unknown', detail: r.detail };
    if (r.quality === 'good') this.opts.logger.info(fields, `sensor ${r.sensorId} reads good`);
    else this.opts.logger.warn(fields, `sensor ${r.sensorId} is ${r.quality}${r.detail !== undefined ? `: ${r.detail}` : ''}`);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
