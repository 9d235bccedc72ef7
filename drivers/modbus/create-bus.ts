import type { Logger } from 'pino';
import type { ModbusBusCallbacks } from './bus-events.js';
import { LateReplyGuard } from './late-reply-guard.js';
import { LinkBus, type BusTiming } from './link-bus.js';
import { openRtuLink, type RtuLinkOptions } from './rtu-link.js';
import { openTcpLink } from './tcp-link.js';

/** One bus as the driver needs it (the daemon's validated `buses[]` entry has this shape). */
export type ModbusBusConfig = BusTiming & { readonly id: string } & (
    | ({ readonly type: 'rtu'; readonly lateReplyMs?: number | undefined } & Pick<RtuLinkOptions, 'path' | 'baudRate' | 'parity' | 'dataBits' | 'stopBits'>)
    | { readonly type: 'tcp'; readonly host: string; readonly port: number }
  );

export interface CreateBusDeps {
  readonly logger: Logger;
  readonly callbacks?: ModbusBusCallbacks;
  /** UTC milliseconds; defaults to Date.now. */
  readonly now?: () => number;
}

/** A TCP connect attempt is abandoned after this long, at least (a black-holed address never refuses). */
const MIN_CONNECT_TIMEOUT_MS = 3_000;

/** Builds the bus for one validated `buses[]` entry of the config. Call start() to open it. */
export function createModbusBus(config: ModbusBusConfig, deps: CreateBusDeps): LinkBus {
  const timing = {
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    retryBackoffMs: config.retryBackoffMs,
    reconnectMs: config.reconnectMs,
    breaker: config.breaker,
  };
  const common = {
    ...timing,
    id: config.id,
    logger: deps.logger,
    ...(deps.callbacks ? { callbacks: deps.callbacks } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };
  if (config.type === 'rtu') {
    // One per line, kept across reopenings of the port: a late answer can land on a reopened port too.
    const guard = new LateReplyGuard({ lateReplyMs: config.lateReplyMs ?? 2 * config.timeoutMs });
    return new LinkBus({
      ...common,
      endpoint: `rtu ${config.path}`,
      slaveRange: { min: 1, max: 247 },
      openLink: () =>
        openRtuLink({
          path: config.path,
          baudRate: config.baudRate,
          parity: config.parity,
          dataBits: config.dataBits,
          stopBits: config.stopBits,
          timeoutMs: config.timeoutMs,
          guard,
          logger: deps.logger,
        }),
    });
  }
  return new LinkBus({
    ...common,
    endpoint: `tcp ${config.host}:${config.port}`,
    slaveRange: { min: 0, max: 255 },
    openLink: () =>
      openTcpLink({
        host: config.host,
        port: config.port,
        timeoutMs: config.timeoutMs,
        connectTimeoutMs: Math.max(MIN_CONNECT_TIMEOUT_MS, config.timeoutMs),
        logger: deps.logger,
      }),
  });
}
