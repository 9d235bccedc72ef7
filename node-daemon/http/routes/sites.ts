import { Hono } from 'hono';
import { floodKey } from '../../alarms/rules/events.js';
import type { AlarmSiteConfig } from '../../alarms/rules/schema.js';
import type { AlarmService } from '../../alarms/store/alarm-service.js';
import type { SensorConfig } from '../../config/schema.js';
import { systemClock, type Clock } from '../../core/types.js';
import type { ReadingsReader } from '../../storage/types.js';
import type { HealthSource } from '../health-source.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { sitesBodySchema, type SiteBody } from '../schemas/sites.js';
import { TREND_WINDOW_MS, trendMetresPerHour } from './site-trend.js';

export interface RainTotalsMm {
  readonly h1: number;
  readonly h3: number;
  readonly h6: number;
}

/** The alarm sites as in effect now (they change when the alarm settings do), and their rainfall. */
export interface SitesSource {
  sites(): readonly AlarmSiteConfig[];
  /** Rolling totals of the site's rain gauge; undefined when it has none. */
  rainfall?(site: AlarmSiteConfig, now: number): RainTotalsMm | undefined;
}

export interface SitesRouteDeps {
  readonly source: SitesSource;
  readonly sensors: readonly SensorConfig[];
  readonly health: HealthSource;
  readonly readings: ReadingsReader;
  /** For each site's current level (its open flood alarm); without it every level is null. */
  readonly alarms?: AlarmService;
  readonly clock?: Clock;
}

/** Enough for 30 minutes of readings at the fastest poll interval (100 ms). */
const TREND_READINGS_LIMIT = 20_000;

// The answer's schema lives in a module free of Node (the web UI's contract reads it); re-exported from here as before.
export { siteSchema, siteSensorSchema, sitesBodySchema, type SiteBody } from '../schemas/sites.js';

export function sitesRoutes(deps: SitesRouteDeps): Hono {
  const clock = deps.clock ?? systemClock;
  const names = new Map(deps.sensors.map((s) => [s.id, s.name ?? s.id]));

  const sensorTrend = (sensorId: string, now: number): number | null =>
    trendMetresPerHour(deps.readings.readings({ sensorId, from: now - TREND_WINDOW_MS, to: now + 1, limit: TREND_READINGS_LIMIT }), now);

  const site = (cfg: AlarmSiteConfig, now: number): SiteBody => {
    const sensors = cfg.sensors.map((id) => {
      const h = deps.health.sensor(id);
      const r = h?.lastReading;
      return {
        id,
        name: names.get(id) ?? id,
        status: h?.status ?? 'unknown',
        lastReading: r === undefined ? null : { value: r.value, ts: r.ts, quality: r.quality, ageMs: Math.max(0, now - r.ts) },
        trend: sensorTrend(id, now),
      };
    });
    const trends = sensors.map((s) => s.trend).filter((t): t is number => t !== null);
    const open = deps.alarms?.findByKey(floodKey(cfg.id));
    const alarm = open === undefined || open.state === 'cleared' ? null : { id: open.id, state: open.state, level: open.level };
    return {
      id: cfg.id,
      name: cfg.name ?? cfg.id,
      sensors,
      thresholds: { prepareM: cfg.prepare.levelM, evacuateM: cfg.evacuate.levelM },
      level: alarm?.level ?? null,
      alarm,
      trend: trends.length === 0 ? null : trends.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a)),
      rainfall: deps.source.rainfall?.(cfg, now) ?? null,
    };
  };

  return new Hono().get('/sites', (c) => {
    const now = clock();
    return c.json({ ts: now, sites: deps.source.sites().map((s) => site(s, now)) }, 200);
  });
}

export const sitesPaths: PathsDoc = {
  '/sites': {
    get: {
      operationId: 'listSites',
      summary: 'Every alarm site: its sensors\' last readings, thresholds, current level, trend and rainfall',
      description:
        'The sites of the alarm settings in effect (the config file\'s, or those set through PUT /settings/alarms). ' +
        'A reading\'s `ageMs` is measured at `ts`.',
      responses: { '200': jsonResponse('the sites, in config order', sitesBodySchema) },
    },
  },
};
