import { Hono } from 'hono';
import type { SensorConfig } from '../../config/schema.js';
import { profileName } from '../../health/status-registry.js';
import type { HealthSource } from '../health-source.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { sensorsResponseSchema, type SensorSummary } from '../schemas.js';

/** A sensor's configuration as operators need it, with its current status. */
export function sensorSummary(config: SensorConfig, health: Pick<HealthSource, 'sensor'>): SensorSummary {
  const h = health.sensor(config.id);
  return {
    id: config.id,
    ...(config.name === undefined ? {} : { name: config.name }),
    bus: config.bus,
    slave: config.slave,
    profile: profileName(config),
    unit: 'm',
    critical: config.critical,
    pollIntervalMs: config.pollIntervalMs,
    staleAfterMs: config.staleAfterMs ?? 3 * config.pollIntervalMs,
    status: h?.status ?? 'unknown',
    ...(h?.lastReading === undefined ? {} : { lastReading: { ...h.lastReading } }),
    ...(h?.lastGoodTs === undefined ? {} : { lastGoodTs: h.lastGoodTs }),
    ...(h?.lastError === undefined ? {} : { lastError: { ...h.lastError } }),
    breaker: h?.breaker ?? 'closed',
  };
}

export function sensorsRoutes(sensors: readonly SensorConfig[], health: Pick<HealthSource, 'sensor'>): Hono {
  return new Hono().get('/sensors', (c) => c.json({ sensors: sensors.map((s) => sensorSummary(s, health)) }, 200));
}

export const sensorsPaths: PathsDoc = {
  '/sensors': {
    get: {
      operationId: 'listSensors',
      summary: 'Every configured sensor with its current status',
      responses: { '200': jsonResponse('the sensors, in configuration order', sensorsResponseSchema) },
    },
  },
};
