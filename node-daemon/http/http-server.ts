import { createAdaptorServer } from '@hono/node-server';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import { httpUrl, parseBindAddress, type ListenAddress } from './bind-address.js';

export interface HttpServerOptions {
  /** What answers requests: a Hono app (`createApp`) or anything with a web-standard `fetch` (`env` = the Node bindings: the socket). */
  readonly app: { fetch(request: Request, env?: unknown): Response | Promise<Response> };
  /** `HOST:PORT` (IPv6 in brackets: `[::1]:8080`; port 0 picks a free port), or an already parsed address. */
  readonly listen: string | ListenAddress;
  readonly log: Logger;
  /** After `stop()`, how long requests in flight may finish before their connections are cut. Default 1000 ms. */
  readonly closeGraceMs?: number;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  /** e.g. `http://127.0.0.1:8080` or `http://[::1]:41234` */
  readonly url: string;
}

/** Serves the app on HOST:PORT. Idle keep-alive connections are closed at once on stop, busy ones after the grace. */
export class HttpServer implements Module {
  readonly name = 'http';

  private readonly wanted: ListenAddress;
  private readonly closeGraceMs: number;
  private server: Server | undefined;
  private readonly inFlight = new Set<ServerResponse>();
  private bound: BoundAddress | undefined;

  constructor(private readonly opts: HttpServerOptions) {
    this.wanted = typeof opts.listen === 'string' ? parseBindAddress(opts.listen) : opts.listen;
    this.closeGraceMs = opts.closeGraceMs ?? 1_000;
  }

  /** Where the server listens, once started (the real port when 0 was asked for). */
  address(): BoundAddress | undefined {
    return this.bound;
  }

  url(): string {
    if (this.bound === undefined) throw new Error('fenghuo: the HTTP server is not listening');
    return this.bound.url;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const { app, log } = this.opts;
    const server = createAdaptorServer({ fetch: (request: Request, env: unknown) => app.fetch(request, env) }) as Server;
    const { host, port } = this.wanted;
    server.on('request', (_req, res: ServerResponse) => {
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        log.error({ event: 'http.listen_failed', host, port, err: err.message }, 'cannot listen');
        reject(new Error(`fenghuo: cannot listen on ${httpUrl(host, port)}: ${err.message}`, { cause: err }));
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => log.error({ event: 'http.server_error', err: err.message }, 'HTTP server error'));
    const info = server.address() as AddressInfo;
    this.server = server;
    this.bound = { host: info.address, port: info.port, url: httpUrl(info.address, info.port) };
    log.info({ event: 'http.listen', url: this.bound.url }, `HTTP API on ${this.bound.url}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.bound = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A keep-alive connection whose response is still being prepared would otherwise stay open after it is sent.
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const cut = setTimeout(() => server.closeAllConnections(), this.closeGraceMs);
    try {
      await closed;
    } finally {
      clearTimeout(cut);
    }
    this.opts.log.info({ event: 'http.closed' }, 'HTTP API closed');
  }
}
