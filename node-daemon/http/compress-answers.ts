import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';
import { acceptsCoding } from './static-ui.js';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** JSON, XML (CAP, Atom) and text (Prometheus): never the live event stream, never media or files. */
const COMPRESSIBLE = /^\s*(?:application\/(?:json|xml|[\w.-]+\+(?:json|xml))|text\/(?!event-stream\b)[\w.+-]+)\s*(?:;|$)/i;

/** Below this a compressed answer saves less than its header and the work cost. */
export const COMPRESS_MIN_BYTES = 1024;

/** The coding for this client: brotli when it takes it (browsers send `br` over HTTPS only), else gzip, else none. */
export function answerCoding(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  if (acceptsCoding(acceptEncoding, 'br', false)) return 'br';
  if (acceptsCoding(acceptEncoding, 'gzip')) return 'gzip';
  return undefined;
}

/**
 * Compresses the API's answers (hono's compress middleware does the same, but it cannot size an answer without a
 * Content-Length, so it would also pack 60-byte errors, and it knows no brotli): a JSON, XML or text answer of at least
 * `COMPRESS_MIN_BYTES` goes out gzipped (level 6) or brotli (quality 5) as the client accepts, with `Vary:
 * Accept-Encoding` and its compressed Content-Length. Left alone: the event stream (text/event-stream, streamed),
 * anything ranged (206, Content-Range, Accept-Ranges: recordings and library files, which keep byte offsets into the
 * file), media and octet streams, HEAD, `Cache-Control: no-transform`, and answers already encoded.
 */
export function compressAnswers(minBytes = COMPRESS_MIN_BYTES): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const res = c.res;
    const h = res.headers;
    if (c.req.method === 'HEAD' || res.body === null || res.status === 206 || res.status === 204 || res.status === 304) return;
    if (h.has('Content-Encoding') || h.has('Content-Range') || h.has('Accept-Ranges')) return;
    if (/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(h.get('Cache-Control') ?? '')) return;
    if (!COMPRESSIBLE.test(h.get('Content-Type') ?? '')) return;
    const declared = h.get('Content-Length');
    if (declared !== null && Number(declared) < minBytes) return;
    const body = Buffer.from(await res.arrayBuffer());
    const coding = body.length < minBytes ? undefined : answerCoding(c.req.header('Accept-Encoding'));
    const packed =
      coding === 'br'
        ? await brotliAsync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
        : coding === 'gzip'
          ? await gzipAsync(body, { level: 6 })
          : body;
    c.res = new Response(new Uint8Array(packed), res);
    if (body.length < minBytes) return;
    const vary = c.res.headers.get('Vary');
    if (vary === null || vary === '') c.res.headers.set('Vary', 'Accept-Encoding');
    else if (vary !== '*' && !/(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(vary)) c.res.headers.set('Vary', `${vary}, Accept-Encoding`);
    if (coding === undefined) return;
    c.res.headers.set('Content-Encoding', coding);
    c.res.headers.set('Content-Length', String(packed.length));
    const etag = c.res.headers.get('ETag');
    if (etag !== null && !etag.startsWith('W/')) c.res.headers.set('ETag', `W/${etag}`);
  };
}
