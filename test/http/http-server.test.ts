import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { createLogger, silentLogger } from '../../node-daemon/core/log.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import type { ReadingsReader } from '../../node-daemon/storage/types.js';
import { createApp } from '../../node-daemon/http/app.js';
import { parseBindAddress } from '../../node-daemon/http/bind-address.js';
import { HttpServer } from '../../node-daemon/http/http-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void raw.push(line) } });
  return { log, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function started(server: HttpServer): Promise<HttpServer> {
  await server.start();
  cleanups.push(() => server.stop());
  return server;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('parseBindAddress', () => {
  it('parses IPv4, bracketed IPv6 and host names, with port 0 allowed', () => {
    expect(parseBindAddress('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseBindAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseBindAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseBindAddress('[::]:0')).toEqual({ host: '::', port: 0 });
  });

  it('refuses what cannot be listened on, saying why', () => {
    expect(() => parseBindAddress('::1:8080')).toThrow(/brackets/);
    expect(() => parseBindAddress('127.0.0.1')).toThrow(/port is missing/);
    expect(() => parseBindAddress('127.0.0.1:70000')).toThrow(/out of range/);
  });
});

describe('HttpServer', () => {
  it('serves the API on a free port, logs its URL, and refuses connections after stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fenghuo-http-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = configSchema.parse({
      buses: [{ id: 'gw', type: 'tcp', host: '127.0.0.1' }],
      sensors: [{ id: 'river', bus: 'gw', slave: 1, profile: 'submersible-level' }],
    });
    const hub = new EventHub();
    const registry = new StatusRegistry({ config, hub, busCounters: new Map(), storageStatus: () => ({ pendingWrites: 0 }), dataDir: dir });
    cleanups.push(() => registry.stop());
    const readings: ReadingsReader = { readings: () => [], aggregates: () => [], latest: () => undefined, latestGood: () => undefined };
    const { log, lines } = capturingLogger();
    const app = createApp({ sensors: config.sensors, health: registry, readings, log });
    const server = new HttpServer({ app, listen: '127.0.0.1:0', log });
    expect(server.address()).toBeUndefined();
    await started(server);

    const bound = server.address()!;
    expect(bound.host).toBe('127.0.0.1');
    expect(bound.port).toBeGreaterThan(0);
    expect(server.url()).toBe(`http://127.0.0.1:${bound.port}`);
    expect(lines().find((l) => l.event === 'http.listen')).toMatchObject({ url: server.url() });

    hub.reading$.next({ sensorId: 'river', ts: Date.now(), value: 3.5, quality: 'good' });
    const res = await fetch(`${server.url()}/api/v1/sensors`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sensors: { id: string; status: string; lastReading?: { value: number } }[] };
    expect(body.sensors).toMatchObject([{ id: 'river', status: 'good', lastReading: { value: 3.5 } }]);

    const bad = await fetch(`${server.url()}/api/v1/sensors/river/readings?limit=0`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request', param: 'limit' } });

    // The fetch above left a keep-alive connection open in the client's pool; stop must not wait for it.
    await server.stop();
    expect(server.address()).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${bound.port}/api/v1/health`)).rejects.toThrow();
  });

  it('listens on IPv6 loopback written in brackets', async () => {
    const server = new HttpServer({ app: { fetch: () => new Response('hi') }, listen: '[::1]:0', log: silentLogger() });
    try {
      await server.start();
    } catch (err) {
      // A host without IPv6 cannot run this case; anything else is a failure.
      if (String(err).includes('EADDRNOTAVAIL') || String(err).includes('EAFNOSUPPORT')) return;
      throw err;
    }
    cleanups.push(() => server.stop());
    expect(server.url()).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect(await (await fetch(server.url())).text()).toBe('hi');
  });

  it('rejects start with the address when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const { log, lines } = capturingLogger();
    const server = new HttpServer({ app: { fetch: () => new Response('') }, listen: `127.0.0.1:${port}`, log });
    await expect(server.start()).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
    expect(lines().some((l) => l.event === 'http.listen_failed')).toBe(true);
  });

  it('lets a request in flight finish when stopped', async () => {
    const entered = deferred();
    const release = deferred();
    const app = {
      fetch: async (): Promise<Response> => {
        entered.resolve();
        await release.promise;
        return new Response('done');
      },
    };
    const server = await started(new HttpServer({ app, listen: '127.0.0.1:0', log: silentLogger(), closeGraceMs: 30_000 }));
    const response = fetch(server.url());
    await entered.promise;
    const stopping = server.stop();
    release.resolve();
    const res = await response;
    expect(await res.text()).toBe('done');
    // Told the client not to reuse the connection, so stop need not wait for the keep-alive timeout.
    expect(res.headers.get('connection')).toBe('close');
    await stopping;
  });

  it('cuts a request that outlives the grace period, so stop always ends', async () => {
    const entered = deferred();
    const never = new Promise<Response>(() => {});
    const app = {
      fetch: (): Promise<Response> => {
        entered.resolve();
        return never;
      },
    };
    const server = await started(new HttpServer({ app, listen: '127.0.0.1:0', log: silentLogger(), closeGraceMs: 50 }));
    const response = fetch(server.url());
    await entered.promise;
    await server.stop();
    await expect(response).rejects.toThrow();
  });
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Chunks written before the answer came. */
  written: number;
}

/**
 * A POST over node:http: sends `chunks` one by one (`gapMs` apart), stops writing as soon as an answer arrives, and
 * ends the request after the last chunk unless `end` is false.
 */
function rawPost(url: string, opts: { headers?: Record<string, string>; chunks?: string[]; gapMs?: number; end?: boolean }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks = opts.chunks ?? [];
    let written = 0;
    let answered = false;
    const req = httpRequest(url, { method: 'POST', headers: opts.headers ?? {} });
    req.on('response', (res) => {
      answered = true;
      const at = written;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, written: at });
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const next = (): void => {
      if (answered) return;
      const chunk = chunks[written];
      if (chunk === undefined) {
        if (opts.end !== false) req.end();
        return;
      }
      written++;
      req.write(chunk);
      setTimeout(next, opts.gapMs ?? 0);
    };
    req.flushHeaders();
    next();
  });
}

describe('HttpServer request body limits', () => {
  /** An app that answers the size of the body it got, and counts its calls. */
  const echo = (): { app: { fetch(r: Request): Promise<Response> }; calls: () => number } => {
    let calls = 0;
    return {
      app: {
        fetch: async (r) => {
          calls++;
          return new Response(String((await r.arrayBuffer()).byteLength));
        },
      },
      calls: () => calls,
    };
  };
  const limited = async (limit: number) => {
    const e = echo();
    const server = await started(new HttpServer({ app: e.app, listen: '127.0.0.1:0', log: silentLogger(), bodyLimit: () => limit }));
    return { url: server.url(), calls: e.calls };
  };

  it('hands a body within the limit on whole: declared, chunked, or after 100 Continue', async () => {
    const { url } = await limited(1000);
    expect(await (await fetch(url, { method: 'POST', body: 'x'.repeat(1000) })).text()).toBe('1000');
    const chunked = await rawPost(url, { chunks: ['a'.repeat(400), 'b'.repeat(400), 'c'.repeat(200)], gapMs: 5 });
    expect(chunked).toMatchObject({ status: 200, body: '1000' });
    const continued = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-length': '10', expect: '100-continue' } });
      req.on('continue', () => req.end('0123456789'));
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (body += s));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(continued).toBe('10');
  });

  it('refuses a declared Content-Length over the limit at once, in the API error shape, and closes the connection', async () => {
    const { url, calls } = await limited(1000);
    // Nothing of the body is sent: the answer comes from the headers alone.
    const answer = await rawPost(url, { headers: { 'content-type': 'application/json', 'content-length': '1001' }, end: false });
    expect(answer.status).toBe(413);
    expect(answer.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'payload_too_large', message: 'the request body must be at most 1000 bytes here' } });
    expect(calls()).toBe(0);
  });

  it('refuses a chunked body the moment it goes over, before the client has finished sending', async () => {
    const { url, calls } = await limited(1000);
    const answer = await rawPost(url, { chunks: Array.from({ length: 20 }, () => 'y'.repeat(300)), gapMs: 20 });
    expect(answer.status).toBe(413);
    // The fourth chunk took it to 1200 bytes; the answer came long before the twentieth.
    expect(answer.written).toBeGreaterThanOrEqual(4);
    expect(answer.written).toBeLessThan(12);
    expect(calls()).toBe(0);
  });

  it('by default takes 64 KiB on API routes, more on the settings PUTs, and no body outside /api/', async () => {
    const e = echo();
    const server = await started(new HttpServer({ app: e.app, listen: '127.0.0.1:0', log: silentLogger() }));
    const post = async (path: string, size: number, method = 'POST'): Promise<number> =>
      (await fetch(`${server.url()}${path}`, { method, body: 'z'.repeat(size) })).status;
    expect(await post('/api/v1/alarms', 64 * 1024)).toBe(200);
    expect(await post('/api/v1/alarms', 64 * 1024 + 1)).toBe(413);
    expect(await post('/api/v1/settings/alarms', 700_000, 'PUT')).toBe(200);
    expect(await post('/api/v1/settings/alarms', 700_000, 'POST')).toBe(413);
    expect(await post('/', 1)).toBe(413);
    expect((await fetch(server.url())).status).toBe(200);
  });
});
