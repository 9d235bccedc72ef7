/**
 * The county sync on the box, as one module (docs/sync.md): the health recorder (a `health` record every
 * `sync.healthIntervalMs` and on every change of overall status) and the push loop (push/push-client.ts), over one
 * outbox. compose.ts builds it through `setUpSync`, only when the box is enrolled (`<data>/sync/enrolment.json`,
 * written by `fenghuo enroll`) and `sync.push` is not false; the hub's address, the box id, the box key and the
 * county key all come from the enrolment.
 *
 * `setUpSync` also gives the status registry what `GET /api/v1/health` shows under `sync`: the push loop's view,
 * or `not_enrolled` with the backlog when the box has no (readable) enrolment. With `sync.push: false` the field is
 * left out.
 */
import { hostname } from 'node:os';
import type { Observable } from 'rxjs';
import type { EventHub } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import { systemClock, type Clock } from '../core/types.js';
import { syncSchema, type SyncConfig } from '../config/schema.js';
import { packageVersion } from '../health/package-version.js';
import type { Db } from '../storage/database.js';
import { databaseId } from '../storage/migrations.js';
import { BackupUploader, type BackupUploaderOptions } from './backup-upload/uploader.js';
import { ContentDownloader, type ContentDownloaderOptions } from './content/downloader.js';
import { ImageUploader, type ImageUploaderOptions } from './image-upload/uploader.js';
import { enrolmentExists, enrolmentPaths, loadEnrolment, type Enrolment } from './enrol/files.js';
import { resolveBoxId } from './outbox/box-id.js';
import { budgetStatus, type BudgetLimits } from './outbox/budget.js';
import { HealthRecorder, type HealthSnapshotLike } from './outbox/health-recorder.js';
import { LANES, type Lane } from './outbox/lanes.js';
import { OutboxStore, type OutboxStoreOptions } from './outbox/outbox-store.js';
import type { SyncHealth, SyncLaneBacklog } from './push/link-state.js';
import { PushClient } from './push/push-client.js';
import { SetAsideStore } from './push/set-aside.js';
import type { Transport } from './push/transport.js';

export interface SyncModuleOptions {
  readonly db: Db;
  /** alarm$ and stored$ wake the push loop (and changed$: other change-log writers, such as recordings). */
  readonly hub: Pick<EventHub, 'alarm$' | 'stored$'> & { readonly changed$?: Observable<unknown> };
  readonly log: Logger;
  readonly enrolment: Enrolment;
  /** The `sync` section with its defaults (`syncSchema.parse({})` when the file has none). */
  readonly config: SyncConfig;
  /** `site.timezone`: the byte budget's calendar. */
  readonly timeZone: string;
  /** What a health record holds: `registry.snapshot()`. */
  readonly snapshot: () => HealthSnapshotLike;
  readonly status?: () => string;
  readonly clock?: Clock;
  /** For tests: the outbox's raw-or-aggregates rule, the backoff's floor and jitter, the transport, the idle poll. */
  readonly readingsForm?: OutboxStoreOptions['readingsForm'];
  readonly minBackoffMs?: number;
  readonly random?: () => number;
  readonly transport?: Transport;
  readonly idlePollMs?: number;
  readonly healthCheckMs?: number;
  /** The box's data dir: county content goes under `<dataDir>/content/` (without it no content is downloaded). */
  readonly dataDir?: string;
  /** For tests: the content downloader's polls, backoff and idle timeout. */
  readonly contentTuning?: Pick<ContentDownloaderOptions, 'gatePollMs' | 'idlePollMs' | 'minBackoffMs' | 'idleTimeoutMs'>;
  /** For tests: the backup uploader's polls and backoff. */
  readonly backupTuning?: Pick<BackupUploaderOptions, 'gatePollMs' | 'idlePollMs' | 'minBackoffMs'>;
  /** For tests: the picture uploader's polls and backoff. */
  readonly imageTuning?: Pick<ImageUploaderOptions, 'gatePollMs' | 'idlePollMs' | 'minBackoffMs'>;
}

export class SyncModule implements Module {
  readonly name = 'sync';
  readonly outbox: OutboxStore;
  readonly recorder: HealthRecorder;
  readonly push: PushClient;
  /** The county's content (docs/sync.md "Content"): its `manifestHandler()` is the content_manifest order handler. */
  readonly content: ContentDownloader | undefined;
  /** The box's backups to the hub (docs/sync.md "Backups to the hub"): scheduled backups with `to: [hub]` go here. */
  readonly backupUpload: BackupUploader | undefined;
  /** The camera pictures to the hub (docs/sync.md "Camera pictures to the hub"); absent with sync.images.thumbnails false. */
  readonly imageUpload: ImageUploader | undefined;

  constructor(opts: SyncModuleOptions) {
    const clock = opts.clock ?? systemClock;
    const { config, enrolment } = opts;
    this.outbox = new OutboxStore({ db: opts.db, clock, ...(opts.readingsForm === undefined ? {} : { readingsForm: opts.readingsForm }) });
    this.recorder = new HealthRecorder({
      db: opts.db,
      log: opts.log,
      snapshot: opts.snapshot,
      ...(opts.status === undefined ? {} : { status: opts.status }),
      intervalMs: config.healthIntervalMs,
      ...(opts.healthCheckMs === undefined ? {} : { checkMs: opts.healthCheckMs }),
      clock,
    });
    this.push = new PushClient({
      outbox: this.outbox,
      hubUrl: enrolment.record.hub,
      boxId: enrolment.record.boxId,
      ...(config.boxId === undefined || config.boxId === enrolment.record.boxId ? {} : { configuredBoxId: config.boxId }),
      ...(enrolment.record.tlsPin === undefined ? {} : { tlsPin: enrolment.record.tlsPin }),
      setAside: new SetAsideStore(opts.db),
      dbId: databaseId(opts.db),
      boxKey: enrolment.boxKey,
      countyKey: enrolment.countyKey,
      countyKeyId: enrolment.record.countyKeyId,
      log: opts.log,
      timeZone: opts.timeZone,
      events: opts.hub,
      clock,
      requestTimeoutMs: config.requestTimeoutMs,
      maxBatchBytes: config.maxBatchBytes,
      compression: config.compression,
      budget: budgetLimits(config),
      ...(config.maxRateKbit === undefined ? {} : { maxRateKbit: config.maxRateKbit }),
      backoff: { maxMs: config.maxBackoffMs, ...(opts.minBackoffMs === undefined ? {} : { minMs: opts.minBackoffMs }) },
      ...(opts.random === undefined ? {} : { random: opts.random }),
      ...(opts.transport === undefined ? {} : { transport: opts.transport }),
      ...(opts.idlePollMs === undefined ? {} : { idlePollMs: opts.idlePollMs }),
      userAgent: `fenghuo/${packageVersion()}`,
    });
    this.content =
      opts.dataDir === undefined
        ? undefined
        : new ContentDownloader({
            db: opts.db,
            dataDir: opts.dataDir,
            hubUrl: enrolment.record.hub,
            boxKey: enrolment.boxKey,
            log: opts.log,
            outbox: this.outbox,
            timeZone: opts.timeZone,
            budget: budgetLimits(config),
            offsetMs: () => this.push.status().offsetMs,
            alarm$: opts.hub.alarm$,
            clock,
            ...(enrolment.record.tlsPin === undefined ? {} : { tlsPin: enrolment.record.tlsPin }),
            ...(config.maxRateKbit === undefined ? {} : { maxRateKbit: config.maxRateKbit }),
            userAgent: `fenghuo/${packageVersion()}`,
            ...opts.contentTuning,
          });
    // What the bulk uploads to the hub (pictures, backups) share: the enrolment, the push loop's link and budget.
    const bulk = {
      hubUrl: enrolment.record.hub,
      boxKey: enrolment.boxKey,
      countyKey: enrolment.countyKey,
      countyKeyId: enrolment.record.countyKeyId,
      log: opts.log,
      outbox: this.outbox,
      timeZone: opts.timeZone,
      budget: budgetLimits(config),
      offsetMs: () => this.push.status().offsetMs,
      linkState: () => this.push.status().state,
      alarm$: opts.hub.alarm$,
      clock,
      ...(enrolment.record.tlsPin === undefined ? {} : { tlsPin: enrolment.record.tlsPin }),
      ...(config.maxRateKbit === undefined ? {} : { maxRateKbit: config.maxRateKbit }),
      requestTimeoutMs: config.requestTimeoutMs,
      maxBackoffMs: config.maxBackoffMs,
      userAgent: `fenghuo/${packageVersion()}`,
    };
    this.imageUpload =
      opts.dataDir === undefined || !config.images.thumbnails
        ? undefined
        : new ImageUploader({
            ...bulk,
            db: opts.db,
            dbId: databaseId(opts.db),
            dataDir: opts.dataDir,
            config: config.images,
            compression: config.compression,
            ...opts.imageTuning,
          });
    const images = this.imageUpload;
    this.backupUpload =
      opts.dataDir === undefined
        ? undefined
        : new BackupUploader({
            ...bulk,
            dataDir: opts.dataDir,
            ...(images === undefined ? {} : { imagesWaiting: () => images.announcementsOwed() }),
            ...opts.backupTuning,
          });
  }

  async start(): Promise<void> {
    await this.recorder.start();
    this.push.start();
    await this.content?.start();
    await this.imageUpload?.start();
    await this.backupUpload?.start();
  }

  async stop(): Promise<void> {
    await this.backupUpload?.stop();
    await this.imageUpload?.stop();
    await this.content?.stop();
    await this.push.stop();
    await this.recorder.stop();
  }

  /** `sync` of GET /api/v1/health. */
  status(): SyncHealth {
    const link = this.push.status();
    return {
      ...link,
      ...(this.content === undefined ? {} : { content: this.content.status() }),
      ...(this.imageUpload === undefined ? {} : { images: this.imageUpload.status() }),
    };
  }
}

export function budgetLimits(config: Pick<SyncConfig, 'budget'>): BudgetLimits {
  const b = config.budget;
  return {
    ...(b?.dailyBytes === undefined ? {} : { dailyBytes: b.dailyBytes }),
    ...(b?.monthlyBytes === undefined ? {} : { monthlyBytes: b.monthlyBytes }),
  };
}

/** `sync` of the health view for a box that pushes nothing because it has no enrolment: the backlog waits. */
export function notEnrolledStatus(outbox: OutboxStore, config: Pick<SyncConfig, 'budget'>, timeZone: string, clock: Clock, lastError?: string): SyncHealth {
  const backlog = outbox.backlog();
  const limits = budgetLimits(config);
  const budget = budgetStatus(outbox.budget(), clock(), limits, timeZone);
  return {
    state: 'not_enrolled',
    ...(lastError === undefined ? {} : { lastError: { ts: clock(), message: lastError } }),
    backlog: Object.fromEntries(
      LANES.map((lane): [Lane, SyncLaneBacklog] => [lane, { records: backlog[lane].records, bytes: backlog[lane].approxBytes, oldestAgeMs: backlog[lane].oldestAgeMs }]),
    ) as Record<Lane, SyncLaneBacklog>,
    budget: { dayBytes: budget.dayBytes, monthBytes: budget.monthBytes, ...limits },
    offsetMs: 0,
  };
}

export interface SyncSetupOptions {
  readonly db: Db;
  readonly hub: Pick<EventHub, 'alarm$' | 'stored$'> & { readonly changed$?: Observable<unknown> };
  readonly log: Logger;
  readonly clock: Clock;
  readonly dataDir: string;
  /** The config's `sync` section, if any. */
  readonly config: SyncConfig | undefined;
  readonly timeZone: string;
  readonly snapshot: () => HealthSnapshotLike;
}

export interface SyncSetup {
  /** The id the box pushes as and its pull feed answers with: the enrolled id when enrolled, else sync.boxId or the host name's. */
  readonly boxId: string;
  /** Built when the box is enrolled and `sync.push` is not false. */
  readonly module?: SyncModule;
  /**
   * `sync` of GET /api/v1/health; absent with `sync.push: false`. Never throws: a failure to read the outbox is
   * logged once and the field left out, so the health view stays up.
   */
  readonly status?: () => SyncHealth | undefined;
}

function guarded(log: Logger, status: () => SyncHealth): () => SyncHealth | undefined {
  let failing = false;
  return () => {
    try {
      const s = status();
      failing = false;
      return s;
    } catch (err) {
      if (!failing) log.error({ event: 'sync.status_failed', error: String(err) }, 'the county link\'s status cannot be read');
      failing = true;
      return undefined;
    }
  };
}

/** What compose.ts wires: the sync module when it should run, and the health view's `sync` either way. */
export function setUpSync(opts: SyncSetupOptions): SyncSetup {
  const config = opts.config ?? syncSchema.parse({});
  const unenrolledId = resolveBoxId(config.boxId, hostname());
  const notEnrolled = (lastError?: string): SyncSetup => {
    const outbox = new OutboxStore({ db: opts.db, clock: opts.clock });
    return { boxId: unenrolledId, status: guarded(opts.log, () => notEnrolledStatus(outbox, config, opts.timeZone, opts.clock, lastError)) };
  };
  if (!enrolmentExists(opts.dataDir)) {
    opts.log.info({ event: 'sync.not_enrolled', enrolment: enrolmentPaths(opts.dataDir).enrolment }, 'not enrolled with a county hub: nothing is pushed (fenghuo enroll)');
    return notEnrolled();
  }
  let enrolment: Enrolment | undefined;
  try {
    enrolment = loadEnrolment(opts.dataDir);
  } catch (err) {
    const message = `the enrolment under ${enrolmentPaths(opts.dataDir).dir} cannot be read: ${err instanceof Error ? err.message : String(err)}`;
    opts.log.error({ event: 'sync.enrolment_unreadable', error: message }, 'nothing is pushed: enrol again with fenghuo enroll --force');
    return config.push === false ? { boxId: unenrolledId } : notEnrolled(message);
  }
  if (enrolment === undefined) return notEnrolled();
  const boxId = enrolment.record.boxId;
  if (config.boxId !== undefined && config.boxId !== boxId) {
    // A warning, not a refusal to start: the box's township warning must run whatever the county link's name.
    opts.log.warn(
      { event: 'sync.box_id_mismatch', key: 'sync.boxId', configured: config.boxId, enrolled: boxId, enrolment: enrolmentPaths(opts.dataDir).enrolment },
      `sync.boxId is ${config.boxId} but the box is enrolled as ${boxId} (${enrolmentPaths(opts.dataDir).enrolment}): ` +
        `the push and the pull feed both use ${boxId}, the id the hub knows the box's key by. Remove sync.boxId, or enrol again as ${config.boxId} (fenghuo enroll --force --box ${config.boxId})`,
    );
  }
  if (config.push === false) {
    opts.log.info({ event: 'sync.push_off' }, 'enrolled, but sync.push is false: nothing is pushed');
    return { boxId };
  }
  const module = new SyncModule({
    db: opts.db,
    hub: opts.hub,
    log: opts.log,
    clock: opts.clock,
    enrolment,
    config,
    timeZone: opts.timeZone,
    snapshot: opts.snapshot,
    dataDir: opts.dataDir,
  });
  return { boxId, module, status: guarded(opts.log, () => module.status()) };
}
