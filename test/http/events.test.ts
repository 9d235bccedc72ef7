import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import type { ReadingsReader } from '../../node-daemon/storage/types.js';
import { createApp } from '../../node-daemon/http/app.js';
import { HttpServer } from '../../node-daemon/http/http-server.js';
import { eventsRoutes, liveEvents } from '../../node-daemon/http/routes/events.js';
import { NEVER } from 'rxjs';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const noReadings: ReadingsReader = { readings: () => [], aggregates: () => [], latest: () => undefined, latestGood: () => undefined };

/** Reads Server-Sent Events off a real HTTP response, one parsed event at a time. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return async function next(): Promise<{ event?: string; data?: string; comment?: string }> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const out: { event?: string; data?: string; comment?: string } = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) out.comment = line.slice(1).trim();
          else if (line.startsWith('event: ')) out.event = line.slice(7);
          else if (line.startsWith('data: ')) out.data = line.slice(6);
        }
        return out;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

describe('GET /api/v1/events (SSE over a real server)', () => {
  it('says hello with a retry hint, then streams hub events as JSON', async () => {
    const hub = new EventHub();
    const config = configSchema.parse({});
    const registry = new StatusRegistry({ config, hub, busCounters: new Map(), storageStatus: () => ({ pendingWrites: 0 }), dataDir: '.' });
    const app = createApp({ sensors: [], health: registry, readings: noReadings, events: liveEvents(hub), log: silentLogger() });
    const server = new HttpServer({ app, listen: '127.0.0.1:0', log: silentLogger() });
    await server.start();
    cleanups.push(() => server.stop());

    const abort = new AbortController();
    cleanups.push(() => abort.abort());
    const res = await fetch(`${server.url()}/api/v1/events`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const next = sseReader(res.body!);
    expect((await next()).event).toBe('hello');

    hub.reading$.next({ sensorId: 'mason', ts: 1_700_000_000_000, value: 3.25, quality: 'good' });
    hub.busStatus$.next({ busId: 'rs485', state: 'down', ts: 1_700_000_000_001, error: 'gone' });
    const first = await next();
    expect(first.event).toBe('reading');
    expect(JSON.parse(first.data!)).toEqual({ sensorId: 'mason', ts: 1_700_000_000_000, value: 3.25, quality: 'good' });
    const second = await next();
    expect(second.event).toBe('bus');
    expect(JSON.parse(second.data!)).toMatchObject({ busId: 'rs485', state: 'down' });

    const alarm = { id: 7, key: 'drill:all', kind: 'manual', level: 'prepare', drill: true, state: 'active', title: '演练', raisedAt: 1, updatedAt: 1 } as const;
    const transition = { id: 9, alarmId: 7, ts: 1, type: 'raised', level: 'prepare', cause: {} } as const;
    hub.alarm$.next({ alarm, transition });
    const third = await next();
    expect(third.event).toBe('alarm');
    expect(JSON.parse(third.data!)).toMatchObject({ alarm: { id: 7, drill: true }, transition: { type: 'raised' } });

    hub.output$.next({ type: 'relay', at: 2, relay: { name: 'siren', pin: 9, on: true, confirmed: true, confirmedAt: 2, lastError: null } });
    const fourth = await next();
    expect(fourth.event).toBe('output');
    expect(JSON.parse(fourth.data!)).toMatchObject({ type: 'relay', relay: { name: 'siren', on: true } });
  });

  it('ends a stream soon after its sign-in stops holding, and leaves one with nothing to check open', async () => {
    let live = true;
    const checked: string[] = [];
    const app = eventsRoutes(NEVER, {
      signedIn: (c) => {
        if (c.req.header('x-who') === 'token') return undefined;
        return () => {
          checked.push('check');
          return live;
        };
      },
      signInCheckMs: 50,
    });
    const server = new HttpServer({ app, listen: '127.0.0.1:0', log: silentLogger() });
    await server.start();
    cleanups.push(() => server.stop());
    const abort = new AbortController();
    cleanups.push(() => abort.abort());
    const open = async (who: string) => {
      const res = await fetch(`${server.url()}/events`, { headers: { 'x-who': who }, signal: abort.signal });
      const next = sseReader(res.body!);
      expect((await next()).event).toBe('hello');
      return next;
    };
    const session = await open('session');
    const token = await open('token');
    await new Promise((r) => setTimeout(r, 200));
    expect(checked.length).toBeGreaterThan(1);
    live = false;
    const from = Date.now();
    await expect(session()).rejects.toThrow('stream ended');
    expect(Date.now() - from).toBeLessThan(1_000);
    // The token's stream is still open: it ends only when the client leaves.
    const stillOpen = await Promise.race([token().then(() => 'event', () => 'ended'), new Promise((r) => setTimeout(() => r('open'), 300))]);
    expect(stillOpen).toBe('open');
  });
});
