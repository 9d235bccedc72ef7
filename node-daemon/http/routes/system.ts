import { freemem, hostname, totalmem, uptime } from 'node:os';
import { Hono } from 'hono';
import type { z } from 'zod';
import { systemClock, type Clock } from '../../core/types.js';
import { diskUsage } from '../../health/disk-usage.js';
import { packageVersion } from '../../health/package-version.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { systemBodySchema } from '../schemas/system.js';
import { probeClockSync, type ClockSync } from '../../health/clock-sync.js';
import type { ClockTrustState } from '../../health/clock-trust.js';

export interface SystemRouteOptions {
  /** The data directory: its file system's space is reported. */
  readonly dataDir: string;
  /** The box's time zone (config `site.timezone`). */
  readonly timeZone: string;
  readonly version?: string;
  readonly clock?: Clock;
  /** How the clock's synchronisation is found out (default `probeClockSync()`). */
  readonly clockSync?: () => Promise<ClockSync>;
  /** How long one clock-sync answer is reused (default 30 s). */
  readonly clockSyncCacheMs?: number;
  /** The clock-trust service's state (health/clock-trust.ts); its fields join `clock` when given. */
  readonly clockTrust?: () => ClockTrustState;
}

// The answer's schema lives in a module free of Node (the web UI's contract reads it); re-exported from here as before.
export { systemBodySchema } from '../schemas/system.js';

export function systemRoutes(opts: SystemRouteOptions): Hono {
  const clock = opts.clock ?? systemClock;
  const version = opts.version ?? packageVersion();
  const probe = opts.clockSync ?? (() => probeClockSync());
  const cacheMs = opts.clockSyncCacheMs ?? 30_000;
  let cached: { at: number; value: Promise<ClockSync> } | undefined;
  const clockSync = (): Promise<ClockSync> => {
    const now = Date.now();
    if (cached === undefined || now - cached.at >= cacheMs) cached = { at: now, value: probe().catch((): ClockSync => ({ source: 'unknown', synchronized: null })) };
    return cached.value;
  };

  return new Hono().get('/system', async (c) => {
    const mem = process.memoryUsage();
    const sync = await clockSync();
    const body: z.output<typeof systemBodySchema> = {
      ts: clock(),
      version,
      node: process.version,
      hostname: hostname(),
      timeZone: opts.timeZone,
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, systemFreeBytes: freemem(), systemTotalBytes: totalmem() },
      uptime: { processS: Math.floor(process.uptime()), systemS: Math.floor(uptime()) },
      disk: diskUsage(opts.dataDir),
      clock: { source: sync.source, synchronized: sync.synchronized, ...trustFields(opts.clockTrust?.()) },
    };
    return c.json(body, 200);
  });
}

function trustFields(t: ClockTrustState | undefined): Partial<z.output<typeof systemBodySchema>['clock']> {
  if (t === undefined) return {};
  const int = (v: number | null): number | null => (v === null ? null : Math.round(v));
  return {
    trusted: t.trusted,
    trustSource: t.source,
    trustedSince: int(t.since),
    correctionMs: int(t.correctionMs),
    hubOffsetMs: int(t.hubOffsetMs),
    lastStepMs: int(t.lastStepMs),
  };
}

export const systemPaths: PathsDoc = {
  '/system': {
    get: {
      operationId: 'getSystem',
      summary: 'The box itself: memory, uptime, disk, clock synchronisation, version, time zone',
      description:
        'Clock: `timedatectl show -p NTPSynchronized` when systemd answers, else systemd-timesyncd\'s marker file ' +
        '/run/systemd/timesync/synchronized, else unknown (checked at most every 30 s).',
      responses: { '200': jsonResponse('system information', systemBodySchema) },
    },
  },
};
