import type { Subscription } from 'rxjs';
import { zeroCounters, type BusCounters } from '../../drivers/modbus/types.js';
import type { BusConfig, Config, SensorConfig } from '../config/schema.js';
import type { BreakerState, BusState, EventHub } from '../core/events.js';
import type { Module } from '../core/module.js';
import { systemClock, type Clock, type Quality, type Reading } from '../core/types.js';
import type { ReadingsReader } from '../storage/types.js';
import type { SyncHealth } from '../sync/push/link-state.js';
import type { MediaHealth } from '../media/media-health.js';
import type { UplinksHealth } from '../http/schemas/uplinks.js';
import type { BackupHealth } from '../http/schemas/backup.js';
import type { UpdateHealth } from '../http/schemas/update.js';
import type { CameraHealth } from '../http/schemas/cameras.js';
import type { SmsHealth } from '../sms/sms-types.js';
import { diskUsage } from './disk-usage.js';
import type { BusHealth, HealthSnapshot, SensorHealth } from './health-types.js';
import { packageVersion } from './package-version.js';
import type { StorageHealth } from './storage-health.js';

export interface StatusRegistryOptions {
  readonly config: Pick<Config, 'buses' | 'sensors'>;
  readonly hub: EventHub;
  /** Counters of each bus, by bus id (e.g. `() => bus.counters()`); a bus missing here shows zero counters. */
  readonly busCounters: ReadonlyMap<string, () => Readonly<BusCounters>>;
  /** Storage as the health view shows it; see `storageHealthFrom` to adapt the readings writer's status. */
  readonly storageStatus: () => StorageHealth;
  /** The data directory, whose file system's free space is reported. */
  readonly dataDir: string;
  readonly clock?: Clock;
  /** Defaults to the version in package.json. */
  readonly version?: string;
  /** The county link (`sync` in the snapshot; left out when it gives undefined): sync-module.ts `setUpSync`. */
  readonly sync?: () => SyncHealth | undefined;
  /** The media disk quota (`media` in the snapshot): media/media-quota.ts. */
  readonly media?: () => MediaHealth | undefined;
  /** The SL 651 centre links (`uplinks` in the snapshot; left out when it gives undefined): uplinks/sl651. */
  readonly uplinks?: () => UplinksHealth | undefined;
  /** The scheduled backups (`backup` in the snapshot; left out when it gives undefined): backup/scheduled-backup.ts. */
  readonly backup?: () => BackupHealth | undefined;
  /** The cameras (`cameras` in the snapshot; left out when none is configured): camera/camera-module.ts. */
  readonly cameras?: () => readonly CameraHealth[] | undefined;
  /** Warning SMS (`sms` in the snapshot; left out without the `sms` section): sms/sms-notifier.ts. */
  readonly sms?: () => SmsHealth | undefined;
  /** The last `fenghuo update` (`update` in the snapshot; left out when there was none): update/update-health.ts. */
  readonly update?: () => UpdateHealth | undefined;
}

type LastError = { readonly ts: number; readonly message: string };

interface SensorState {
  readonly config: SensorConfig;
  readonly staleAfterMs: number;
  lastReading?: { ts: number; value: number | null; quality: Quality };
  lastGoodTs?: number;
  lastError?: LastError;
  breaker: BreakerState;
}

interface BusStateRecord {
  readonly config: BusConfig;
  state: BusState;
  lastError?: LastError;
}


/** Where a bus is, in the words an operator would use to find it. */
export function busEndpoint(bus: BusConfig): string {
  if (bus.type === 'rtu') {
    const parity = bus.parity === 'none' ? 'N' : bus.parity === 'even' ? 'E' : 'O';
    return `${bus.path} ${bus.baudRate} ${bus.dataBits}${parity}${bus.stopBits}`;
  }
  return bus.host.includes(':') ? `[${bus.host}]:${bus.port}` : `${bus.host}:${bus.port}`;
}

/** A profile given by name shows that name; one written inline in the config shows `inline`. */
export function profileName(sensor: SensorConfig): string {
  return typeof sensor.profile === 'string' ? sensor.profile : 'inline';
}

/**
 * Status of a sensor at `now`. A newest reading older than the stale limit makes the sensor `stale` whatever its
 * quality (nothing has been heard since); otherwise the newest reading's quality stands, so a fresh `comm_fail`
 * says why there is no good value rather than just that the good one is getting old. A sensor never heard from is
 * `unknown` until the stale limit has passed since `since` (the start), then `stale`.
 */
export function sensorStatus(
  lastReading: { readonly ts: number; readonly quality: Quality } | undefined,
  staleAfterMs: number,
  now: number,
  since: number,
): Quality | 'unknown' {
  if (lastReading === undefined) return now - since > staleAfterMs ? 'stale' : 'unknown';
  if (now - lastReading.ts > staleAfterMs) return 'stale';
  return lastReading.quality;
}

/**
 * Keeps the latest known state of every configured bus and sensor from the hub's events, for the health endpoint.
 * It subscribes on construction (so no event is missed however the modules are ordered); `stop()` unsubscribes.
 * Staleness is computed when read, from the injected clock. Events about unconfigured buses or sensors are ignored.
 */
export class StatusRegistry implements Module {
  readonly name = 'status-registry';

  private readonly clock: Clock;
  private readonly startedAt: number;
  private readonly version: string;
  private readonly sensorStates = new Map<string, SensorState>();
  private readonly busStates = new Map<string, BusStateRecord>();
  /** Sensors by `bus/slave`, to route breaker events (several sensors may share one slave, and its breaker). */
  private readonly sensorsBySlave = new Map<string, SensorState[]>();
  private readonly subscriptions: Subscription[];

  constructor(private readonly opts: StatusRegistryOptions) {
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock();
    this.version = opts.version ?? packageVersion();
    for (const bus of opts.config.buses) this.busStates.set(bus.id, { config: bus, state: 'connecting' });
    for (const sensor of opts.config.sensors) {
      const state: SensorState = {
        config: sensor,
        staleAfterMs: sensor.staleAfterMs ?? 3 * sensor.pollIntervalMs,
        breaker: 'closed',
      };
      this.sensorStates.set(sensor.id, state);
      const key = slaveKey(sensor.bus, sensor.slave);
      this.sensorsBySlave.set(key, [...(this.sensorsBySlave.get(key) ?? []), state]);
    }
    const { hub } = opts;
    this.subscriptions = [
      hub.reading$.subscribe((r) => this.onReading(r)),
      hub.busStatus$.subscribe((e) => {
        const bus = this.busStates.get(e.busId);
        if (bus === undefined) return;
        bus.state = e.state;
        if (e.error !== undefined) bus.lastError = { ts: e.ts, message: e.error };
      }),
      // A wire error names only bus and slave, not the register read, so it is the bus's: giving it to every sensor
      // of the slave would show one sensor's failure (say exception 2 at its register) on its healthy neighbours.
      // Each sensor's own failed read reaches it as that sensor's comm_fail reading (see onReading).
      hub.busError$.subscribe((e) => {
        const bus = this.busStates.get(e.busId);
        if (bus !== undefined) bus.lastError = { ts: e.ts, message: `slave ${e.slave}: ${e.kind}: ${e.message}` };
      }),
      hub.breaker$.subscribe((e) => {
        for (const s of this.sensorsBySlave.get(slaveKey(e.busId, e.slave)) ?? []) s.breaker = e.state;
      }),
    ];
  }

  /** Subscriptions are made by the constructor; nothing more to do. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  /** Fills in the last known readings from storage, so health after a restart shows when each sensor was last heard. */
  seed(reader: Pick<ReadingsReader, 'latest' | 'latestGood'>): void {
    for (const id of this.sensorStates.keys()) {
      const good = reader.latestGood(id);
      if (good !== undefined) this.onReading(good);
      const latest = reader.latest(id);
      if (latest !== undefined) this.onReading(latest);
    }
  }

  sensor(id: string): SensorHealth | undefined {
    const state = this.sensorStates.get(id);
    return state === undefined ? undefined : this.sensorHealth(state, this.clock());
  }

  sensors(): SensorHealth[] {
    const now = this.clock();
    return [...this.sensorStates.values()].map((s) => this.sensorHealth(s, now));
  }

  buses(): BusHealth[] {
    return [...this.busStates.values()].map((b) => ({
      id: b.config.id,
      type: b.config.type,
      endpoint: busEndpoint(b.config),
      state: b.state,
      ...(b.lastError === undefined ? {} : { lastError: b.lastError }),
      counters: { ...(this.opts.busCounters.get(b.config.id)?.() ?? zeroCounters()) },
    }));
  }

  /**
   * Degraded when a bus is down, a critical sensor is not `good`, or storage writes are failing. The county link
   * (`sync`) is shown but never makes the site degraded: the site warns its township whether the county hears or not.
   */
  snapshot(): HealthSnapshot & { readonly sync?: SyncHealth } {
    const now = this.clock();
    const buses = this.buses();
    const sensors = [...this.sensorStates.values()].map((s) => this.sensorHealth(s, now));
    const storage = this.opts.storageStatus();
    const sync = this.opts.sync?.();
    const media = this.opts.media?.();
    const uplinks = this.opts.uplinks?.();
    const backup = this.opts.backup?.();
    const cameras = this.opts.cameras?.();
    const sms = this.opts.sms?.();
    const update = this.opts.update?.();
    const degraded =
      buses.some((b) => b.state === 'down') ||
      sensors.some((s) => s.critical && s.status !== 'good') ||
      storage.lastError !== undefined;
    return {
      status: degraded ? 'degraded' : 'ok',
      ts: now,
      uptimeS: Math.max(0, Math.floor((now - this.startedAt) / 1000)),
      version: this.version,
      buses,
      sensors,
      disk: diskUsage(this.opts.dataDir),
      storage: {
        ...(storage.lastCommitTs === undefined ? {} : { lastCommitTs: storage.lastCommitTs }),
        pendingWrites: storage.pendingWrites,
        ...(storage.lastError === undefined ? {} : { lastError: storage.lastError }),
      },
      ...(sync === undefined ? {} : { sync }),
      ...(media === undefined ? {} : { media }),
      ...(uplinks === undefined ? {} : { uplinks }),
      ...(backup === undefined ? {} : { backup }),
      ...(cameras === undefined || cameras.length === 0 ? {} : { cameras }),
      ...(sms === undefined ? {} : { sms }),
      ...(update === undefined ? {} : { update }),
    };
  }

  /**
   * A sensor's lastError is the detail of its newest reading that was not good: the poller emits one reading per
   * read, for the sensor that read was for, so a failed read (`kind: message` of its ModbusError) lands on that
   * sensor only. A later good reading does not clear it (lastGoodTs tells that the sensor has recovered).
   */
  private onReading(r: Reading): void {
    const s = this.sensorStates.get(r.sensorId);
    if (s === undefined) return;
    // Readings of one sensor arrive in order; the guard only matters when seeding from storage races live ones.
    if (s.lastReading === undefined || r.ts >= s.lastReading.ts) {
      s.lastReading = { ts: r.ts, value: r.value, quality: r.quality };
    }
    if (r.quality === 'good') {
      if (s.lastGoodTs === undefined || r.ts > s.lastGoodTs) s.lastGoodTs = r.ts;
    } else if (s.lastError === undefined || r.ts >= s.lastError.ts) {
      s.lastError = { ts: r.ts, message: r.detail ?? r.quality };
    }
  }

  private sensorHealth(s: SensorState, now: number): SensorHealth {
    const c = s.config;
    return {
      id: c.id,
      ...(c.name === undefined ? {} : { name: c.name }),
      bus: c.bus,
      slave: c.slave,
      profile: profileName(c),
      critical: c.critical,
      status: sensorStatus(s.lastReading, s.staleAfterMs, now, this.startedAt),
      ...(s.lastReading === undefined ? {} : { lastReading: { ...s.lastReading } }),
      ...(s.lastGoodTs === undefined ? {} : { lastGoodTs: s.lastGoodTs }),
      ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
      breaker: s.breaker,
    };
  }
}

function slaveKey(busId: string, slave: number): string {
  return `${busId}/${slave}`;
}
