import { Hono } from 'hono';

/** Where Prometheus scrapes: outside /api/v1 as scrapers expect, behind the same sign-in as the API (viewer). */
export const METRICS_PATH = '/metrics';

/** What `GET /metrics` serves: node-daemon/metrics/daemon-metrics.ts `createDaemonMetrics` is one. */
export interface MetricsEndpoint {
  /** The Prometheus text format's content type. */
  readonly contentType: string;
  render(): Promise<string>;
}

/** `GET /metrics`: the box's metrics in the Prometheus text format, read at the moment of the scrape. */
export function metricsRoutes(metrics: MetricsEndpoint): Hono {
  return new Hono().get(METRICS_PATH, async (c) => {
    const text = await metrics.render();
    return c.body(text, 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  });
}
