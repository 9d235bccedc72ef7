/**
 * The county's downstream orders on the box, as a module (start/stop): the order log and notices over the box's
 * database, the four handlers of this box (county alarm, county clear, notice, settings; `content_manifest` when the
 * content module gives one), and the long-poll loop (orders-client.ts). compose.ts builds it through `setUpOrders`
 * when the box is enrolled and `sync.orders` is not false.
 */
import type { AlarmService } from '../../alarms/store/alarm-service.js';
import type { Logger } from '../../core/log.js';
import type { Module } from '../../core/module.js';
import { systemClock, type Clock } from '../../core/types.js';
import type { SettingsService } from '../../settings/settings-service.js';
import type { Db } from '../../storage/database.js';
import { packageVersion } from '../../health/package-version.js';
import type { SyncConfig } from '../../config/schema.js';
import { enrolmentExists, loadEnrolment, type Enrolment } from '../enrol/files.js';
import type { BackoffOptions } from '../outbox/backoff.js';
import type { Transport } from '../push/transport.js';
import { countyAlarmHandler, countyClearHandler } from './alarm-handlers.js';
import type { OrderHandler, OrderHandlers } from './handler.js';
import { noticeHandler, type NoticeOutputs } from './notice-handler.js';
import { NoticeStore } from './notice-store.js';
import { OrderLog } from './order-log.js';
import type { OrdersHealth } from './orders-health.js';
import { OrdersClient } from './orders-client.js';
import { settingsHandler } from './settings-handler.js';

/** Notices are listed (GET /api/v1/notices?state=all) this long after they stop being shown. */
export const NOTICE_KEEP_MS = 30 * 24 * 3600_000;

export interface OrdersModuleOptions {
  readonly db: Db;
  readonly enrolment: Enrolment;
  readonly log: Logger;
  readonly alarms: AlarmService;
  readonly settings: Pick<SettingsService, 'update'>;
  /** The dispatcher (announce, showText); without it notices are stored only. */
  readonly outputs?: NoticeOutputs;
  /** The content module's handler, when it runs. */
  readonly contentManifest?: OrderHandler<'content_manifest'>;
  readonly waitS?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly backoff?: BackoffOptions;
  readonly transport?: Transport;
}

export class OrdersModule implements Module {
  readonly name = 'sync-orders';
  readonly orderLog: OrderLog;
  readonly notices: NoticeStore;
  readonly client: OrdersClient;

  constructor(opts: OrdersModuleOptions) {
    const clock = opts.clock ?? systemClock;
    this.orderLog = new OrderLog(opts.db);
    this.notices = new NoticeStore(opts.db);
    const handlers: OrderHandlers = {
      county_alarm: countyAlarmHandler(opts.alarms),
      county_clear: countyClearHandler(opts.alarms),
      notice: noticeHandler({ notices: this.notices, clock, ...(opts.outputs === undefined ? {} : { outputs: opts.outputs }) }),
      settings: settingsHandler(opts.settings),
      ...(opts.contentManifest === undefined ? {} : { content_manifest: opts.contentManifest }),
    };
    const { record } = opts.enrolment;
    this.client = new OrdersClient({
      log: this.orderLog,
      hubUrl: record.hub,
      boxId: record.boxId,
      boxKey: opts.enrolment.boxKey,
      countyKey: opts.enrolment.countyKey,
      countyKeyId: record.countyKeyId,
      handlers,
      logger: opts.log,
      clock,
      userAgent: `fenghuo/${packageVersion()}`,
      prune: (now) => this.notices.prune(now - NOTICE_KEEP_MS),
      ...(record.tlsPin === undefined ? {} : { tlsPin: record.tlsPin }),
      ...(opts.waitS === undefined ? {} : { waitS: opts.waitS }),
      ...(opts.random === undefined ? {} : { random: opts.random }),
      ...(opts.backoff === undefined ? {} : { backoff: opts.backoff }),
      ...(opts.transport === undefined ? {} : { transport: opts.transport }),
    });
  }

  async start(): Promise<void> {
    this.client.start();
  }

  async stop(): Promise<void> {
    await this.client.stop();
  }

  status(): OrdersHealth {
    return this.client.status();
  }
}

export interface OrdersSetupOptions extends Omit<OrdersModuleOptions, 'enrolment' | 'waitS' | 'backoff'> {
  readonly dataDir: string;
  /** The config's `sync` section, if any. */
  readonly config: SyncConfig | undefined;
}

export interface OrdersSetup {
  /** Built when the box is enrolled and `sync.orders` is not false. */
  readonly module?: OrdersModule;
  /** `orders` of `sync` in GET /api/v1/health; absent without the module. Never throws. */
  readonly status?: () => OrdersHealth | undefined;
  /** The notices, enrolled or not (GET /api/v1/notices lists what is stored). */
  readonly notices: NoticeStore;
}

/** What compose.ts wires: the orders module when it should run, its health, and the notices for the API. */
export function setUpOrders(opts: OrdersSetupOptions): OrdersSetup {
  const notices = new NoticeStore(opts.db);
  if (opts.config?.orders === false) {
    opts.log.info({ event: 'sync.orders_off' }, 'sync.orders is false: no county orders are taken');
    return { notices };
  }
  if (!enrolmentExists(opts.dataDir)) return { notices };
  let enrolment: Enrolment | undefined;
  try {
    enrolment = loadEnrolment(opts.dataDir);
  } catch (err) {
    // setUpSync logs the unreadable enrolment already.
    opts.log.error({ event: 'sync.orders_off', error: err instanceof Error ? err.message : String(err) }, 'no county orders are taken: the enrolment cannot be read');
    return { notices };
  }
  if (enrolment === undefined) return { notices };
  const module = new OrdersModule({ ...opts, enrolment, ...(opts.config?.ordersWaitS === undefined ? {} : { waitS: opts.config.ordersWaitS }) });
  let failing = false;
  const status = (): OrdersHealth | undefined => {
    try {
      const s = module.status();
      failing = false;
      return s;
    } catch (err) {
      if (!failing) opts.log.error({ event: 'sync.orders_status_failed', error: String(err) }, 'the orders status cannot be read');
      failing = true;
      return undefined;
    }
  };
  return { module, status, notices: module.notices };
}
