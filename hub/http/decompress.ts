import { promisify } from 'node:util';
import { brotliDecompress, gunzip, type InputType, type ZlibOptions, type BrotliOptions } from 'node:zlib';

const inflateBr = promisify<InputType, BrotliOptions, Buffer>(brotliDecompress);
const inflateGzip = promisify<InputType, ZlibOptions, Buffer>(gunzip);

export type Decompressed =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly encoding: 'identity' | 'br' | 'gzip' }
  | { readonly ok: false; readonly reason: 'unsupported_encoding' | 'too_large' | 'bad_encoding'; readonly detail: string };

/**
 * The body under its Content-Encoding (`br`, `gzip`, or none), never more than `maxBytes` of it: zlib stops at the
 * cap (`maxOutputLength`) instead of inflating a zip bomb whole.
 */
export async function decompressBody(body: Uint8Array, contentEncoding: string | undefined, maxBytes: number): Promise<Decompressed> {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') {
    if (body.byteLength > maxBytes) return { ok: false, reason: 'too_large', detail: `body over ${maxBytes} bytes` };
    return { ok: true, bytes: body, encoding: 'identity' };
  }
  if (enc !== 'br' && enc !== 'gzip' && enc !== 'x-gzip') {
    return { ok: false, reason: 'unsupported_encoding', detail: `Content-Encoding ${JSON.stringify(enc.slice(0, 40))}` };
  }
  try {
    const bytes = enc === 'br' ? await inflateBr(body, { maxOutputLength: maxBytes }) : await inflateGzip(body, { maxOutputLength: maxBytes });
    return { ok: true, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding: enc === 'br' ? 'br' : 'gzip' };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof RangeError || code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, reason: 'too_large', detail: `${enc} body inflates past ${maxBytes} bytes` };
    }
    return { ok: false, reason: 'bad_encoding', detail: `${enc} body does not decompress (${typeof code === 'string' ? code : 'error'})` };
  }
}
