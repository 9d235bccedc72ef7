import { getRequestListener } from '@hono/node-server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import { httpUrl, parseBindAddress, type ListenAddress } from './bind-address.js';
import { errorBody } from './errors.js';
import { bodyLimitFor } from './validate-body.js';

export interface HttpServerOptions {
  /** What answers requests: a Hono app (`createApp`) or anything with a web-standard `fetch` (`env` = the Node bindings: the socket). */
  readonly app: { fetch(request: Request, env?: unknown): Response | Promise<Response> };
  /** `HOST:PORT` (IPv6 in brackets: `[::1]:8080`; port 0 picks a free port), or an already parsed address. */
  readonly listen: string | ListenAddress;
  readonly log: Logger;
  /** After `stop()`, how long requests in flight may finish before their connections are cut. Default 1000 ms. */
  readonly closeGraceMs?: number;
  /** The largest request body in bytes, by method and request target. Default: `bodyLimitFor` (validate-body.ts). */
  readonly bodyLimit?: (method: string, target: string) => number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the Node adaptor of hono takes instead of reading the request stream itself (the body, already read). */
type BufferedRequest = IncomingMessage & { rawBody?: Buffer };

/** The declared Content-Length; Node's parser has already refused a malformed one (and one next to chunked). */
function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

/** After a refusal, how long the connection stays open (not read from) so the client gets to read the answer. */
const LINGER_MS = 2_000;

/**
 * Refuses a request whose body is over its limit: 413 in the API's error shape, `Connection: close`, and no more of
 * the body is read. The answer is written straight to the socket, which is then half-closed: a client still sending
 * (it did not wait for `100 Continue`) is held back by TCP flow control, reads the answer and stops, instead of getting
 * a connection reset that would lose it. The socket is destroyed when the client closes it, or after LINGER_MS.
 * (Node's own ServerResponse would either read and discard the whole rest of the body, or reset the socket at once.)
 */
function refuseBody(req: IncomingMessage, limit: number): void {
  req.pause();
  const body = JSON.stringify(errorBody('payload_too_large', `the request body must be at most ${limit} bytes here`));
  const head = [
    'HTTP/1.1 413 Payload Too Large',
    'Content-Type: application/json; charset=UTF-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    `Date: ${new Date().toUTCString()}`,
    'Connection: close',
  ];
  const socket = req.socket;
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Wraps the app's request handler so that no request body reaches it unbounded: a declared Content-Length over the
 * route's limit is refused at once, before any of it is kept (and before any `100 Continue`); any other body is read
 * here, counted chunk by chunk, and refused the moment it goes over, holding at most the limit in memory. A body
 * within the limit is handed on whole (the adaptor's `rawBody`), so the app's own readers never touch the socket.
 */
export function limitRequestBodies(handler: Handler, limitFor: (method: string, target: string) => number): { request: Handler; checkContinue: Handler } {
  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    const limit = limitFor(req.method ?? 'GET', req.url ?? '/');
    const declared = declaredLength(req);
    if (declared !== undefined && declared > limit) return refuseBody(req, limit);
    if (expectsContinue) res.writeContinue();
    if ((declared ?? 0) === 0 && req.headers['transfer-encoding'] === undefined) return handler(req, res);

    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', stop);
      req.off('close', stop);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        stop();
        chunks.length = 0;
        refuseBody(req, limit);
      } else chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      (req as BufferedRequest).rawBody = Buffer.concat(chunks, size);
      handler(req, res);
    };
    // 'error' or 'close' before 'end': the client went away mid-body; there is nobody to answer.
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', stop);
    req.on('close', stop);
  };
  return { request: (req, res) => handle(req, res, false), checkContinue: (req, res) => handle(req, res, true) };
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  /** e.g. `http://127.0.0.1:8080` or `http://[::1]:41234` */
  readonly url: string;
}

/**
 * Serves the app on HOST:PORT. Request bodies are limited per route while they stream in (`limitRequestBodies`).
 * Idle keep-alive connections are closed at once on stop, busy ones after the grace.
 */
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
    const toApp = getRequestListener((request: Request, env: unknown) => app.fetch(request, env));
    const limited = limitRequestBodies((req, res) => void toApp(req, res), this.opts.bodyLimit ?? bodyLimitFor);
    const track = (next: Handler): Handler => (req, res) => {
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
      next(req, res);
    };
    const server = createServer(track(limited.request));
    // With a listener here Node leaves `Expect: 100-continue` to us: a body too big is refused before it is sent.
    server.on('checkContinue', track(limited.checkContinue));
    const { host, port } = this.wanted;
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
