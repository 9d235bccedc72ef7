import type { MiddlewareHandler } from 'hono';
import type { HubEnv } from './deps.js';
import { refuse, type RefusalSink } from './refusals.js';

/**
 * Reads a request body whole, refusing it with 413 the moment it is over `limit` bytes (a declared Content-Length
 * over it is refused unread). Undefined: too large.
 */
export async function readLimited(req: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return undefined;
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.byteLength;
  }
  return out;
}

/** Middleware: the body as received, bytes, in `c.var.body` (413 `payload_too_large` above `limit`). */
export function readBody(limit: number, sink: RefusalSink): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const body = await readLimited(c.req.raw, limit);
    if (body === undefined) {
      return refuse(c, sink, {
        status: 413,
        code: 'payload_too_large',
        detail: `body over ${limit} bytes (Content-Length ${c.req.header('content-length') ?? 'not given'})`,
        message: `the request body must be at most ${limit} bytes here`,
      });
    }
    c.set('body', body);
    await next();
  };
}
