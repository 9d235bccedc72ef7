import { join } from 'node:path';
import { createAuth } from './auth/auth.js';
import { ManualButton } from './alarms/manual-button.js';
import { AlarmStore } from './alarms/store/alarm-store.js';
import { EmittingAlarmService, type AlarmService } from './alarms/store/alarm-service.js';
import type { CapContext } from './alarms/cap/cap.js';
import type { Config } from './config/schema.js';
import { EventLog } from './core/event-log.js';
import { EventHub } from './core/events.js';
import type { Heartbeats } from './core/liveness.js';
import type { Logger } from './core/log.js';
import type { Module } from './core/module.js';
import type { Clock } from './core/types.js';
import { TimeBase } from './core/time-base.js';
import { ClockTrustService, type HubTimeSample } from './health/clock-trust.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { driverAudio } from '../broadcast/station/driver-audio.js';
import type { RunningMark } from '../broadcast/station/ports.js';
import { ScheduledProgrammes } from '../broadcast/station/scheduled-programmes.js';
import { Station } from '../broadcast/station/station.js';
import { createApp } from './http/app.js';
import { createDaemonMetrics } from './metrics/daemon-metrics.js';
import { liveEvents } from './http/routes/events.js';
import { HttpServer } from './http/http-server.js';
import { boardInputs } from './inputs/board-inputs.js';
import { buildOutputDevices } from './outputs/devices.js';
import { BusModules } from './sensing/bus-modules.js';
import { Poller } from './sensing/poller.js';
import { resolveSensors } from './sensing/profiles.js';
import { StatusRegistry } from './health/status-registry.js';
import { storageHealthFrom } from './health/storage-health.js';
import { openDatabase, type Db } from './storage/database.js';
import { BackgroundIntegrityCheck, integrityError } from './storage/integrity-check.js';
import { SqliteReadingsReader } from './storage/readings-reader.js';
import { LiveRuleEngine, siteNamesOf } from './alarms/engine/live-rules.js';
import { SettingsService } from './settings/settings-service.js';
import { SiteRain } from './alarms/engine/site-rain.js';
import { ReadingsWriter } from './storage/readings-writer.js';
import { RetentionJob } from './storage/retention-job.js';
import { databaseId } from './storage/migrations.js';
import { ContentTable } from './sync/content/content-table.js';
import { OutboxStore } from './sync/outbox/outbox-store.js';
import { setUpSync } from './sync/sync-module.js';
import { setUpOrders } from './sync/orders/orders-module.js';
import { RecordingsModule, recordingsRoot } from './recording/recordings-module.js';
import { RecordingScheduleModule } from './recording-schedule/schedule-module.js';
import { filter, merge as mergeStreams, Subject } from 'rxjs';
import { setUpLibrary } from './library/library-module.js';
import { MediaQuota } from './media/media-quota.js';
import { ModuleRecordings } from './media/recordings-port.js';
import type { OrdersHealth } from './sync/orders/orders-health.js';
import type { Sl651Module } from './uplinks/sl651/sl651-module.js';
import { ScheduledBackups } from './backup/scheduled-backup.js';
import { updateHealthSource } from './update/update-health.js';
import { CameraModule } from './camera/camera-module.js';
import { setUpSms } from './sms/sms-module.js';

export interface DaemonDeps {
  readonly config: Config;
  readonly dataDir: string;
  /** HOST:PORT to listen on (already validated). */
  readonly listen: string;
  readonly log: Logger;
  readonly clock: Clock;
  /** The config file (`fenghuo run --config`), saved in each scheduled backup; none for the demo. */
  readonly configPath?: string;
}

export interface Daemon {
  readonly hub: EventHub;
  /** The alarm lifecycle (for in-process tests and tools; the API is the way in for everything else). */
  readonly alarms: AlarmService;
  readonly modules: readonly Module[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The URL the HTTP API listens on, once started. */
  url(): string;
  /** For systemd (core/sd-notify.ts): resolves once every sensor was polled once after start(). */
  firstPollCycle(): Promise<void>;
  /** For the systemd watchdog: the poller's and the alarm rules' heartbeats (core/liveness.ts). */
  heartbeats(): Heartbeats;
}

/**
 * The composition root: builds every module from the config and wires them to one EventHub. Modules start in
 * the order listed (storage before anything that produces readings, HTTP last) and stop in reverse, so pending
 * readings are flushed after the last poll has settled and before the database closes.
 */
export function buildDaemon(deps: DaemonDeps): Daemon {
  const { log, clock } = deps;
  const hub = new EventHub();
  const opened = openDatabase({ dataDir: deps.dataDir, log, clock });
  const { db } = opened;
  // A database too large for quick_check at open is checked in the background after start (storage/integrity-check.ts).
  const integrity = opened.deferredCheck ? new BackgroundIntegrityCheck({ dbPath: opened.path, log, clock }) : undefined;
  // Issue #14 item 3: a time base that never jumps with the wall clock (poll schedule, alarm-rule durations) and
  // one clock-trust service (NTP, the county hub's time): readings taken while untrusted are marked and corrected.
  const timeBase = new TimeBase({ wall: clock });
  const clockTrust = new ClockTrustService({ db, timeBase, log, hubTime: () => hubTimeOf(sync.module?.push.status()) });
  // The file's config with the alarms/dispatch sections changed through the API (stored in SQLite) put in.
  const settings = new SettingsService({ db, fileConfig: deps.config, log, clock });
  const config = settings.effective();
  const writer = new ReadingsWriter({ db, hub, log, clock, ...config.storage, clockMarks: clockTrust });
  const retention = new RetentionJob({ db, log, clock, rawRetentionDays: config.storage.rawRetentionDays });
  const buses = new BusModules(config.buses, hub, log, clock);
  const reader = new SqliteReadingsReader(db);
  // The county sync (push and health records) when the box is enrolled; its link state shows in health either way.
  // Change-log writers built later (recordings) wake the push loop through this, so their records leave at once.
  const syncChanged = new Subject<void>();
  const sync = setUpSync({ db, hub: { alarm$: hub.alarm$, stored$: hub.stored$, changed$: syncChanged }, log, clock, dataDir: deps.dataDir, config: config.sync, timeZone: config.site.timezone, snapshot: () => registry.snapshot() });
  // Filled in once the orders module is built (it needs the alarms, the dispatcher and the settings).
  const uplinks: { sl651?: Sl651Module } = {};
  // Scheduled backups (config `backup`), when configured: built below, after the alarm service it raises its fault on.
  const backups: { module?: ScheduledBackups } = {};
  const ordersHealth: { status?: () => OrdersHealth | undefined } = {};
  const syncStatus = sync.status;
  const registry = new StatusRegistry({
    config,
    hub,
    busCounters: new Map([...buses.buses].map(([id, bus]) => [id, () => bus.counters()])),
    storageStatus: () => {
      const storage = storageHealthFrom(writer.status());
      const damaged = integrity === undefined ? undefined : integrityError(integrity.status());
      return storage.lastError !== undefined || damaged === undefined ? storage : { ...storage, lastError: damaged };
    },
    media: () => media.status(),
    dataDir: deps.dataDir,
    clock,
    ...(syncStatus === undefined
      ? {}
      : {
          sync: () => {
            const s = syncStatus();
            const orders = ordersHealth.status?.();
            return s === undefined || orders === undefined ? s : { ...s, orders };
          },
        }),
    uplinks: () => uplinks.sl651?.health(),
    backup: () => backups.module?.status(),
    cameras: () => cameras?.health(),
    sms: () => sms?.health(),
    update: updateHealthSource(deps.dataDir),
  });
  const poller = new Poller({ sensors: resolveSensors(config), buses: buses.buses, hub, clock, scheduleClock: timeBase.mono, logger: log });
  registry.seed(reader);
  const alarms = new EmittingAlarmService({ store: new AlarmStore(db), hub, clock });
  const devices = buildOutputDevices(config.outputs, log);
  const inputs = boardInputs(devices.ioBoard, config.outputs.ioBoard);
  const siteNames = siteNamesOf(config.alarms.sites);
  const rules = new LiveRuleEngine({
    db,
    alarms,
    hub,
    clock,
    timeBase,
    log,
    rainTips$: inputs.rainTips$,
    sensorNames: Object.fromEntries(config.sensors.map((s) => [s.id, s.name ?? s.id])),
  }, config.alarms.sites);
  // The loudspeakers. Their amplifier relays are on the dispatcher's I/O board: the station asks it to switch them.
  const stationAudio = driverAudio({ audioDir: join(deps.dataDir, 'audio') });
  const station = new Station({
    speakers: config.outputs.speakers.map((s) => ({ id: s.id, device: s.device, voice: s.voice, rate: s.rate, ...(s.amplifierRelay ? { amplifierRelay: s.amplifierRelay } : {}) })),
    audio: stationAudio,
    clock,
    log,
    amplifier: (relay: string, on: boolean): Promise<void> => dispatcher.amplifier(relay, on),
  });
  // Programmes on a schedule (station.programmes), below every alarm and notice.
  const programmes = new ScheduledProgrammes({
    programmes: config.station.programmes,
    timeZone: config.site.timezone,
    contentDir: config.station.contentDir ?? join(deps.dataDir, 'content'),
    station,
    clock,
    log,
    // MP3, M4A/AAC, OGG/Opus, FLAC converted to WAV with ffmpeg (kept under <data>/audio/decoded).
    files: stationAudio,
    // When the station last ran (meta row station_last_running): due times missed while the box was off are logged.
    runningMark: metaTimestamp(db, 'station_last_running'),
  });
  const dispatcher: Dispatcher = new Dispatcher({
    plans: config.dispatch,
    timeZone: config.site.timezone,
    siteNames,
    alarms,
    hub,
    clock,
    log,
    ...(devices.ioBoard ? { ioBoard: devices.ioBoard } : {}),
    relays: devices.relays,
    station,
    ledBoards: devices.ledBoards,
  });
  // A settings change is in effect at once: the rules restart on the new sites, the dispatcher re-plans.
  settings.onApply(async (section, next) => {
    if (section === 'alarms') {
      await rules.replace(next.alarms.sites);
      dispatcher.reconfigure({ siteNames: siteNamesOf(next.alarms.sites) });
    } else {
      dispatcher.reconfigure({ plans: next.dispatch });
    }
  });
  // The county's downstream orders (county alarms, notices, settings, content) when the box is enrolled.
  const orders = setUpOrders({
    db,
    log,
    clock,
    dataDir: deps.dataDir,
    config: config.sync,
    alarms,
    settings,
    // A county notice read out is a county notice on the loudspeakers; its LED text goes to the dispatcher.
    outputs: { announce: (r) => station.announce(r, 'county_notice'), showText: (r) => dispatcher.showText(r) },
    ...(sync.module?.content === undefined ? {} : { contentManifest: sync.module.content.manifestHandler() }),
  });
  if (orders.status !== undefined) ordersHealth.status = orders.status;
  const siteRain = new SiteRain(db);
  // The box as an SL 651-2014 telemetry station for the county's centres (uplinks.sl651), when configured.
  // Loaded at start, and only when configured (issue #16: a box without centres does not carry the SL 651 code).
  const sl651Module: Module | undefined =
    config.uplinks.sl651.length === 0
      ? undefined
      : lazyModule('sl651', async () => {
          const { Sl651Module } = await import('./uplinks/sl651/sl651-module.js');
          return (uplinks.sl651 = new Sl651Module({
            db,
            centres: config.uplinks.sl651,
            sites: () => settings.effective().alarms.sites,
            rain: (site, at) => siteRain.totals(site, at),
            clockTrusted: () => clockTrust.trusted(),
            stored$: hub.stored$,
            clock,
            log,
          }));
        });
  // Satellite and TV recordings (config `recording`): resumes what a restart interrupted.
  const recordings = new RecordingsModule({ db, dataDir: deps.dataDir, config: config.recording, clock, log, timeZone: config.site.timezone });
  // The recording schedule (XMLTV guide, rules, weekly and one-off entries, record now): starts and stops the recorder's jobs.
  const recordingSchedule = new RecordingScheduleModule({
    db, log, clock, timeZone: config.site.timezone, config: config.recording, channels: recordings.channels(), recorder: recordings,
    // The one clock-trust service, as a port only: it is started (before the writer) and stopped as a module of its own.
    clockTrust: { trusted: () => clockTrust.trusted(), onChange: (l) => clockTrust.onChange(l) },
  });
  // POST /recordings/now goes through the schedule: conflict-checked and kept across restarts, like the UI's record now.
  recordings.useSchedule(recordingSchedule);
  // A recording's change that the county sync carries (started, finished, pinned, deleted) leaves now, not at the next poll.
  recordings.recorder.events$.pipe(filter((e) => e.type === 'state' || e.type === 'deleted')).subscribe(() => syncChanged.next());
  // The farm-content library (county content the sync installed, USB imports) and one disk quota for all media.
  const library = setUpLibrary({ db, dataDir: deps.dataDir, config: config.library, log, clock, content: sync.module?.content?.table ?? new ContentTable(db) });
  if (config.backup !== undefined) {
    backups.module = new ScheduledBackups({
      config: config.backup,
      timeZone: config.site.timezone,
      dataDir: deps.dataDir,
      ...(deps.configPath === undefined ? {} : { configPath: deps.configPath }),
      alarms,
      log,
      clock,
      ...(sync.module?.backupUpload === undefined ? {} : { hubUpload: sync.module.backupUpload }),
    });
  }
  // Warning SMS (config `sms`) to the people of each site's notify groups, off the dispatch path.
  const sms = setUpSms({ config: config.sms, sites: () => settings.effective().alarms.sites, sensorNames: Object.fromEntries(config.sensors.map((s) => [s.id, s.name ?? s.id])), timeZone: config.site.timezone, db, hub, alarms, clock, log });
  // Cameras (config `cameras`): pictures of the alarm sites on a schedule and at their alarms, inside the media quota.
  const cameras = config.cameras.length === 0 ? undefined : new CameraModule({ cameras: config.cameras, db, dataDir: deps.dataDir, hub, alarms, log, clock, onPicture: () => sync.module?.imageUpload?.wake() });
  const media = new MediaQuota({ dataDir: deps.dataDir, recordingsDir: recordingsRoot(config.recording, deps.dataDir), config: config.media, recordings: new ModuleRecordings(recordings), library: library.service, ...(cameras === undefined ? {} : { images: cameras.imagesPort() }), alarms, log, clock });
  // Always: the daemon's API is never served without sign-in. With no account yet, a one-time setup code guards
  // the first-run setup from beyond loopback (auth/setup-code.ts; a module, started before HTTP).
  const auth = createAuth({ db, log, clock, apiTokens: config.http.apiTokens, dataDir: deps.dataDir, listen: deps.listen });
  const app = createApp({
    sensors: config.sensors,
    health: registry,
    readings: reader,
    alarms,
    outputs: dispatcher,
    ...(config.site.cap ? { cap: capContext(config) } : {}),
    events: mergeStreams(liveEvents(hub), recordings.events$),
    sites: { sites: () => rules.sites(), rainfall: (site, now) => siteRain.totals(site, now) },
    broadcast: { announce: (r) => station.announce(r), showText: (r) => dispatcher.showText(r) },
    station: { view: () => ({ speakers: station.queues(), programmes: programmes.status() }) },
    system: { dataDir: deps.dataDir, timeZone: config.site.timezone, clockTrust: () => clockTrust.state() },
    settings,
    shelving: () => settings.effective().alarms.shelving,
    ...(sms === undefined ? {} : { smsDeliveries: (alarmId: number) => sms.deliveries(alarmId) }),
    log,
    clock,
    auth,
    // The pull feed (GET /api/v1/sync/feed), enrolled or not: the sync scope is an admin or a token in sync.feedTokens.
    sync: {
      feed: sync.module?.outbox ?? new OutboxStore({ db, clock }),
      // One id for the feed and the push: the enrolled id when enrolled (setUpSync warns when sync.boxId differs).
      boxId: sync.boxId,
      dbId: databaseId(db),
      feedTokens: config.sync?.feedTokens ?? [],
    },
    // The county's content manifest (GET /api/v1/content), enrolled or not.
    content: sync.module?.content?.table ?? new ContentTable(db),
    notices: orders.notices,
    recordings,
    recordingSchedule,
    library: library.service,
    ...(cameras === undefined ? {} : { cameras }),
    // GET /metrics (Prometheus), read from the state above at each scrape.
    metrics: createDaemonMetrics({
      health: () => registry.snapshot(),
      storage: () => writer.status(),
      stored$: hub.stored$,
      alarms: () => alarms.active(),
      outputs: () => dispatcher.outputs(),
      ...(sl651Module === undefined
        ? {}
        : {
            sl651: () =>
              (uplinks.sl651?.health().sl651 ?? []).map((c) => ({ id: c.id, connected: c.state === 'connected', queueLength: c.queueLength, ...(c.lastConfirmedAt === undefined ? {} : { lastConfirmedAt: c.lastConfirmedAt }) })),
          }),
      log,
    }),
  });
  const http = new HttpServer({ app, listen: deps.listen, log });

  // Outputs before the rules (dispatch must hear the first raise), rules before the poller (the first reading counts).
  const modules: Module[] = [
    new EventLog(hub, log),
    // Before the writer: the first reading is marked when the clock is not trusted.
    clockTrust,
    writer,
    retention,
    ...(integrity === undefined ? [] : [integrity]),
    registry,
    devices.module,
    station,
    dispatcher,
    // After the dispatcher (it hears each alarm first), before the rules (the first raise is told).
    ...(sms === undefined ? [] : [sms]),
    programmes,
    rules,
    new ManualButton(inputs.buttonPress$, alarms, log),
    buses,
    poller,
    ...(sync.module === undefined ? [] : [sync.module]),
    ...(orders.module === undefined ? [] : [orders.module]),
    ...(sl651Module === undefined ? [] : [sl651Module]),
    library.module,
    ...(cameras === undefined ? [] : [cameras]),
    media,
    ...(backups.module === undefined ? [] : [backups.module]),
    // Before HTTP: stopped after it, so every ffmpeg closes its last segment before the database closes.
    recordings,
    recordingSchedule,
    auth.setupCode,
    http,
  ];
  return {
    hub,
    alarms,
    modules,
    url: () => http.url(),
    firstPollCycle: () => poller.firstCycle(),
    heartbeats: () => ({ poller: poller.heartbeat(), rules: rules.heartbeat() }),
    async start() {
      for (const m of modules) {
        await m.start();
        log.debug({ event: 'module.started', module: m.name }, `${m.name} started`);
      }
    },
    async stop() {
      for (const m of [...modules].reverse()) {
        try {
          await m.stop();
        } catch (err) {
          log.error({ event: 'module.stop_failed', module: m.name, err: String(err) }, `${m.name} failed to stop`);
        }
      }
      hub.complete();
      closeDb(db, log);
    },
  };
}

/** A module whose code is imported when it starts (`make` builds it); stopped only if it was started. */
function lazyModule(name: string, make: () => Promise<Module>): Module {
  let built: Module | undefined;
  return {
    name,
    async start() {
      built = await make();
      await built.start();
    },
    async stop() {
      await built?.stop();
    },
  };
}

function capContext(config: Config): CapContext {
  const { geocode, ...cap } = config.site.cap!;
  return { ...cap, timeZone: config.site.timezone, ...(geocode ? { geocode: { valueName: 'GB/T 2260', value: geocode } } : {}) };
}

/** A timestamp (UTC ms) kept in the database's `meta` table under `key`. */
function metaTimestamp(db: Db, key: string): RunningMark {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const put = db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  return {
    read: () => {
      const row = get.get(key);
      const ms = row === undefined ? Number.NaN : Number(row.value);
      return Number.isFinite(ms) ? ms : null;
    },
    write: (atMs) => void put.run(key, String(Math.round(atMs))),
  };
}

function closeDb(db: Db, log: Logger): void {
  try {
    db.close();
  } catch (err) {
    log.error({ event: 'storage.close_failed', err: String(err) }, 'closing the database failed');
  }
}

/** The push client's latest measurement of the hub's clock (hub − box), once an answer of the hub was verified. */
function hubTimeOf(status: { readonly offsetMs: number; readonly lastSuccessAt?: number } | undefined): HubTimeSample | undefined {
  return status?.lastSuccessAt === undefined ? undefined : { offsetMs: status.offsetMs, at: status.lastSuccessAt };
}
