import type * as PromClient from 'prom-client';
import type { Observable } from 'rxjs';
import { ALARM_LEVELS, ALARM_STATES, type Alarm } from '../alarms/types.js';
import type { StoredBatchEvent } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { IO_BOARD_OUTPUT_ID } from '../dispatch/dispatcher.js';
import { OUTPUT_FAULT_PREFIX } from '../dispatch/output-faults.js';
import type { OutputsSnapshot } from '../dispatch/outputs-snapshot.js';
import type { HealthSnapshot } from '../health/health-types.js';
import { packageVersion } from '../health/package-version.js';
import type { StorageStatus } from '../storage/types.js';
import { LANES } from '../sync/outbox/lanes.js';
import { SYNC_LINK_STATES, type SyncHealth } from '../sync/push/link-state.js';

/**
 * Prometheus metrics of the box (`GET /metrics`, http/routes/metrics.ts), in a registry of their own (never
 * prom-client's global one). Nothing is counted here but readings stored: every value is read when scraped, from the
 * state the daemon keeps anyway (the status registry's health snapshot, the readings writer, the alarm store, the
 * dispatcher's outputs), so a scrape shows what `GET /api/v1/health` would show at that moment.
 *
 * Names follow the Prometheus conventions: `fenghuo_` prefix, base units (seconds, bytes), `_total` for counters,
 * lower snake case labels; the two process basics keep their standard unprefixed names.
 */

/** One SL 651 centre (uplink) as the metrics see it. */
export interface Sl651CentreMetrics {
  /** The centre's id (config), the `centre` label. */
  readonly id: string;
  readonly connected: boolean;
  /** Reports waiting for the centre's confirmation. */
  readonly queueLength: number;
  /** UTC ms of the centre's last confirmation; absent before the first. */
  readonly lastConfirmedAt?: number;
}

/** The SL 651 uplink's state per centre, read at scrape time (the uplink plugs it in: `sl651` of MetricsSources). */
export type Sl651MetricsSource = () => readonly Sl651CentreMetrics[];

export interface MetricsSources {
  /** The status registry's snapshot (buses, sensors, storage, disk, the county link): `registry.snapshot()`. */
  readonly health: () => HealthSnapshot & { readonly sync?: SyncHealth };
  /** The readings writer's own status (dropped readings, failing writes): `writer.status()`. */
  readonly storage?: () => StorageStatus;
  /** Committed batches of readings (`hub.stored$`), counted into fenghuo_readings_stored_total. */
  readonly stored$?: Observable<StoredBatchEvent>;
  /** The alarms not cleared (`alarms.active()`). */
  readonly alarms?: () => readonly Alarm[];
  /** Relays, loudspeakers, LED boards and the I/O board (`dispatcher.outputs()`). */
  readonly outputs?: () => OutputsSnapshot;
  /** The SL 651 uplink's centres, once the uplink exists. */
  readonly sl651?: Sl651MetricsSource;
  /** fenghuo_build_info's version label; default the package version. */
  readonly version?: string;
  /** A source that throws is left out of that scrape and logged (once until it works again). */
  readonly log?: Logger;
}

export interface DaemonMetrics {
  /** The text exposition format's content type. */
  readonly contentType: string;
  /** Every metric, read now, in the Prometheus text format. */
  render(): Promise<string>;
  /** Stops counting stored readings (the daemon's hub completing does it too). */
  stop(): void;
}

type Labels<L extends string> = Readonly<Record<L, string>>;
type Emit<L extends string> = (labels: Labels<L>, value: number) => void;

/** The alarm kinds with the levels each can have (`none` for faults, which have no level). */
const ALARM_GRID: readonly { readonly kind: Alarm['kind']; readonly levels: readonly string[] }[] = [
  { kind: 'flood', levels: ALARM_LEVELS },
  { kind: 'manual', levels: ALARM_LEVELS },
  { kind: 'county', levels: ALARM_LEVELS },
  { kind: 'fault', levels: ['none'] },
  { kind: 'output_fault', levels: ['none'] },
];

const BOOL = (b: boolean): number => (b ? 1 : 0);
const seconds = (ms: number): number => ms / 1000;

/** Values read once per scrape: every metric of one scrape sees the same snapshot. */
interface Scrape {
  readonly health?: HealthSnapshot & { readonly sync?: SyncHealth };
  readonly storage?: StorageStatus;
  readonly alarms?: readonly Alarm[];
  readonly outputs?: OutputsSnapshot;
  readonly sl651?: readonly Sl651CentreMetrics[];
}

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE (the text format 0.0.4), known before prom-client is loaded. */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * prom-client is loaded at the first scrape, not at start (issue #16: a box nobody scrapes does not carry it); the
 * stored-readings count runs from start either way.
 */
export function createDaemonMetrics(sources: MetricsSources): DaemonMetrics {
  const startedAt = Date.now() - process.uptime() * 1000;
  const version = sources.version ?? packageVersion();
  let readingsStored = 0;
  const subscription = sources.stored$?.subscribe((b) => (readingsStored += b.readings.length));

  // ---- one read of each source per scrape ----
  const failing = new Set<string>();
  function read<T>(name: string, f: (() => T) | undefined): T | undefined {
    if (f === undefined) return undefined;
    try {
      const v = f();
      if (failing.delete(name)) sources.log?.info({ event: 'metrics.source_recovered', source: name }, 'metrics source works again');
      return v;
    } catch (err) {
      if (!failing.has(name)) {
        failing.add(name);
        sources.log?.warn({ event: 'metrics.source_failed', source: name, err: String(err) }, 'metrics source failed; its metrics are left out');
      }
      return undefined;
    }
  }
  function takeScrape(): Scrape {
    return {
      health: read('health', sources.health),
      storage: read('storage', sources.storage),
      alarms: read('alarms', sources.alarms),
      outputs: read('outputs', sources.outputs),
      sl651: read('sl651', sources.sl651),
    };
  }
  let current: Scrape | undefined;
  const scrape = (): Scrape => current ?? takeScrape();

  let built: Promise<PromClient.Registry> | undefined;
  function buildRegistry({ Counter, Gauge, Registry }: typeof PromClient): PromClient.Registry {
    const registry = new Registry();
    function gauge<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (s: Scrape, emit: Emit<L>) => void): void {
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          // reset() leaves a 0 on a metric without labels: drop it, so a value the source lacks is absent, not 0.
          if (labelNames.length === 0) this.remove({});
          fill(scrape(), (labels, value) => (labelNames.length === 0 ? this.set(value) : this.set(labels, value)));
        },
      });
    }
    function counter<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (s: Scrape, emit: Emit<L>) => void): void {
      new Counter<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          if (labelNames.length === 0) this.remove({});
          fill(scrape(), (labels, value) => (labelNames.length === 0 ? this.inc(value) : this.inc(labels, value)));
        },
      });
    }
    const none = {} as Labels<never>;

    // ---- the process ----
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [], (_s, emit) => emit(none, process.memoryUsage.rss()));
    gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', [], (_s, emit) => emit(none, Math.round(startedAt / 1000)));
    gauge('fenghuo_build_info', 'The fenghuo version running (always 1).', ['version'], (_s, emit) => emit({ version }, 1));
    gauge('fenghuo_degraded', '1 when GET /api/v1/health says degraded (a bus down, a critical sensor not good, storage failing).', [], (s, emit) => {
      if (s.health !== undefined) emit(none, BOOL(s.health.status === 'degraded'));
    });

    // ---- Modbus ----
    counter('fenghuo_modbus_requests_total', 'Modbus transactions sent, per bus.', ['bus'], (s, emit) => {
      for (const b of s.health?.buses ?? []) emit({ bus: b.id }, b.counters.requests);
    });
    counter('fenghuo_modbus_responses_total', 'Modbus transactions answered correctly, per bus.', ['bus'], (s, emit) => {
      for (const b of s.health?.buses ?? []) emit({ bus: b.id }, b.counters.responses);
    });
    counter('fenghuo_modbus_errors_total', 'Failed Modbus transactions per bus and kind (timeout, exception, crc, port).', ['bus', 'kind'], (s, emit) => {
      for (const b of s.health?.buses ?? []) {
        emit({ bus: b.id, kind: 'timeout' }, b.counters.timeouts);
        emit({ bus: b.id, kind: 'exception' }, b.counters.exceptions);
        emit({ bus: b.id, kind: 'crc' }, b.counters.crcErrors);
        emit({ bus: b.id, kind: 'port' }, b.counters.portErrors);
      }
    });
    counter('fenghuo_modbus_reconnects_total', 'Times a bus reopened its port or connection.', ['bus'], (s, emit) => {
      for (const b of s.health?.buses ?? []) emit({ bus: b.id }, b.counters.reconnects);
    });
    gauge('fenghuo_modbus_bus_up', '1 while the bus is open, 0 while connecting, down or closed.', ['bus'], (s, emit) => {
      for (const b of s.health?.buses ?? []) emit({ bus: b.id }, BOOL(b.state === 'open'));
    });
    gauge('fenghuo_modbus_breaker_open', '1 while the circuit breaker of a slave is open or half open (probing), 0 when closed.', ['bus', 'slave'], (s, emit) => {
      const seen = new Set<string>();
      for (const sensor of s.health?.sensors ?? []) {
        const key = `${sensor.bus}/${sensor.slave}`;
        if (seen.has(key)) continue;
        seen.add(key);
        emit({ bus: sensor.bus, slave: String(sensor.slave) }, BOOL(sensor.breaker !== 'closed'));
      }
    });

    // ---- sensors ----
    gauge('fenghuo_sensor_breaker_open', '1 while the circuit breaker of the sensor\'s slave is open or half open, 0 when closed.', ['sensor'], (s, emit) => {
      for (const sensor of s.health?.sensors ?? []) emit({ sensor: sensor.id }, BOOL(sensor.breaker !== 'closed'));
    });
    gauge('fenghuo_sensor_good', '1 when the sensor\'s newest reading is good and fresh, 0 otherwise (stale, failing, never heard).', ['sensor'], (s, emit) => {
      for (const sensor of s.health?.sensors ?? []) emit({ sensor: sensor.id }, BOOL(sensor.status === 'good'));
    });
    gauge('fenghuo_sensor_last_good_timestamp_seconds', 'When the sensor last gave a good reading (unix seconds); absent before the first.', ['sensor'], (s, emit) => {
      for (const sensor of s.health?.sensors ?? []) if (sensor.lastGoodTs !== undefined) emit({ sensor: sensor.id }, seconds(sensor.lastGoodTs));
    });

    // ---- storage ----
    counter('fenghuo_readings_stored_total', 'Readings committed to the database since the daemon started.', [], (_s, emit) => emit(none, readingsStored));
    gauge('fenghuo_storage_write_queue_length', 'Readings received but not yet committed (the writer\'s queue).', [], (s, emit) => {
      const pending = s.storage?.pendingWrites ?? s.health?.storage.pendingWrites;
      if (pending !== undefined) emit(none, pending);
    });
    counter('fenghuo_storage_dropped_readings_total', 'Readings dropped because the queue was full while writes failed.', [], (s, emit) => {
      if (s.storage !== undefined) emit(none, s.storage.droppedReadings);
    });
    gauge('fenghuo_storage_write_failures', 'Failed write attempts since the last commit (0 while writes succeed).', [], (s, emit) => {
      if (s.storage !== undefined) emit(none, s.storage.consecutiveFailures);
    });
    gauge('fenghuo_storage_last_commit_timestamp_seconds', 'When the writer last committed a batch (unix seconds); absent before the first.', [], (s, emit) => {
      const ts = s.health?.storage.lastCommitTs;
      if (ts !== undefined) emit(none, seconds(ts));
    });
    gauge('fenghuo_disk_free_bytes', 'Free bytes on the data directory\'s file system.', [], (s, emit) => {
      if (s.health !== undefined) emit(none, s.health.disk.freeBytes);
    });
    gauge('fenghuo_disk_size_bytes', 'Size in bytes of the data directory\'s file system.', [], (s, emit) => {
      if (s.health !== undefined) emit(none, s.health.disk.totalBytes);
    });

    // ---- alarms ----
    gauge(
      'fenghuo_alarms',
      'Alarms not cleared, by kind, level (none for faults), state (active, acknowledged) and drill (true, false).',
      ['kind', 'level', 'state', 'drill'],
      (s, emit) => {
        if (s.alarms === undefined) return;
        const count = new Map<string, number>();
        const key = (kind: string, level: string, state: string, drill: boolean): string => `${kind}|${level}|${state}|${drill}`;
        for (const a of s.alarms) {
          const k = key(a.kind, a.level ?? 'none', a.state, a.drill);
          count.set(k, (count.get(k) ?? 0) + 1);
        }
        const states = ALARM_STATES.filter((st) => st !== 'cleared');
        for (const { kind, levels } of ALARM_GRID) {
          for (const level of levels) {
            for (const state of states) {
              for (const drill of [false, true]) {
                const k = key(kind, level, state, drill);
                emit({ kind, level, state, drill: String(drill) }, count.get(k) ?? 0);
                count.delete(k);
              }
            }
          }
        }
        // Whatever the grid does not foresee (a level on a fault, say) still counts.
        for (const [k, n] of count) {
          const [kind = '', level = '', state = '', drill = ''] = k.split('|');
          emit({ kind, level, state, drill }, n);
        }
      },
    );
    gauge('fenghuo_alarms_shelved', 'Fault alarms shelved (silenced) now.', [], (s, emit) => {
      if (s.alarms === undefined) return;
      const now = Date.now();
      emit(none, s.alarms.filter((a) => a.shelvedUntil !== undefined && a.shelvedUntil > now).length);
    });

    // ---- outputs ----
    gauge(
      'fenghuo_output_fault',
      '1 while an output has an open output_fault alarm, 0 otherwise; type relay, speaker, led_board, io_board (unknown: not configured now).',
      ['output', 'type'],
      (s, emit) => {
        if (s.outputs === undefined && s.alarms === undefined) return;
        const open = new Set((s.alarms ?? []).filter((a) => a.kind === 'output_fault' && a.key.startsWith(OUTPUT_FAULT_PREFIX)).map((a) => a.key.slice(OUTPUT_FAULT_PREFIX.length)));
        const known: [string, string][] = [
          ...(s.outputs?.ioBoard === null || s.outputs === undefined ? [] : [[IO_BOARD_OUTPUT_ID, 'io_board'] as [string, string]]),
          ...(s.outputs?.relays ?? []).map((r): [string, string] => [r.name, 'relay']),
          ...(s.outputs?.speakers ?? []).map((sp): [string, string] => [sp.id, 'speaker']),
          ...(s.outputs?.ledBoards ?? []).map((l): [string, string] => [l.id, 'led_board']),
        ];
        for (const [output, type] of known) {
          emit({ output, type }, BOOL(open.has(output)));
          open.delete(output);
        }
        for (const output of open) emit({ output, type: 'unknown' }, 1);
      },
    );
    gauge('fenghuo_io_board_connected', '1 while the I/O board is connected; absent on a box without one.', [], (s, emit) => {
      if (s.outputs?.ioBoard) emit(none, BOOL(s.outputs.ioBoard.connection === 'connected'));
    });
    gauge('fenghuo_speaker_playing', '1 while the loudspeaker plays.', ['speaker'], (s, emit) => {
      for (const sp of s.outputs?.speakers ?? []) emit({ speaker: sp.id }, BOOL(sp.state === 'playing'));
    });

    // ---- the county link ----
    gauge('fenghuo_sync_link_state', 'The county link\'s state: 1 for the current one, 0 for the others (absent without sync).', ['state'], (s, emit) => {
      const sync = s.health?.sync;
      if (sync !== undefined) for (const state of SYNC_LINK_STATES) emit({ state }, BOOL(sync.state === state));
    });
    gauge('fenghuo_sync_backlog_records', 'Records not yet acknowledged by the county hub, per lane.', ['lane'], (s, emit) => {
      const sync = s.health?.sync;
      if (sync !== undefined) for (const lane of LANES) emit({ lane }, sync.backlog[lane].records);
    });
    gauge('fenghuo_sync_backlog_bytes', 'Approximate size (uncompressed JSON bytes) of the records not yet acknowledged, per lane.', ['lane'], (s, emit) => {
      const sync = s.health?.sync;
      if (sync !== undefined) for (const lane of LANES) emit({ lane }, sync.backlog[lane].bytes);
    });
    gauge('fenghuo_sync_backlog_oldest_age_seconds', 'How long the oldest record not yet acknowledged has waited, per lane (0 when none waits).', ['lane'], (s, emit) => {
      const sync = s.health?.sync;
      if (sync !== undefined) for (const lane of LANES) emit({ lane }, seconds(sync.backlog[lane].oldestAgeMs ?? 0));
    });
    gauge('fenghuo_sync_last_success_timestamp_seconds', 'When the county hub last answered an exchange (unix seconds, box clock); absent before the first.', [], (s, emit) => {
      const at = s.health?.sync?.lastSuccessAt;
      if (at !== undefined) emit(none, seconds(at));
    });
    gauge('fenghuo_sync_wire_bytes', 'Bytes on the wire to and from the county hub this day or month (site.timezone), per period.', ['period'], (s, emit) => {
      const sync = s.health?.sync;
      if (sync === undefined) return;
      emit({ period: 'day' }, sync.budget.dayBytes);
      emit({ period: 'month' }, sync.budget.monthBytes);
    });
    gauge('fenghuo_sync_set_aside_records', 'Records the county hub refused as malformed and the box set aside.', [], (s, emit) => {
      const sync = s.health?.sync;
      if (sync !== undefined) emit(none, sync.setAside?.count ?? 0);
    });

    // ---- the SL 651 uplink ----
    gauge('fenghuo_sl651_connected', '1 while the SL 651 centre\'s connection is up.', ['centre'], (s, emit) => {
      for (const c of s.sl651 ?? []) emit({ centre: c.id }, BOOL(c.connected));
    });
    gauge('fenghuo_sl651_queue_length', 'Reports waiting for the SL 651 centre\'s confirmation.', ['centre'], (s, emit) => {
      for (const c of s.sl651 ?? []) emit({ centre: c.id }, c.queueLength);
    });
    gauge('fenghuo_sl651_last_confirmed_timestamp_seconds', 'When the SL 651 centre last confirmed a report (unix seconds); absent before the first.', ['centre'], (s, emit) => {
      for (const c of s.sl651 ?? []) if (c.lastConfirmedAt !== undefined) emit({ centre: c.id }, seconds(c.lastConfirmedAt));
    });
    return registry;
  }

  return {
    contentType: PROMETHEUS_TEXT,
    render: async () => {
      const registry = await (built ??= import('prom-client').then(buildRegistry));
      // prom-client calls every collect() synchronously inside metrics(), before its first await: one snapshot serves them all.
      current = takeScrape();
      try {
        return registry.metrics();
      } finally {
        current = undefined;
      }
    },
    stop: () => subscription?.unsubscribe(),
  };
}
