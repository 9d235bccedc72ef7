/**
 * Request bodies compressed for the link (docs/sync.md, "Link economy"): brotli at quality 5 by default (a good
 * ratio for JSON at a small CPU cost on the box), gzip for a hub that does not take `br`. No I/O: zlib's async
 * functions run on libuv's thread pool so a large body does not hold up the event loop (and the Modbus polls). The
 * same text always compresses to the same bytes with the same settings.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip, type BrotliOptions, type InputType, type ZlibOptions } from 'node:zlib';

export const COMPRESSIONS = ['br', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const BROTLI_QUALITY = 5;

const br = promisify<InputType, BrotliOptions, Buffer>(brotliCompress);
const gz = promisify<InputType, ZlibOptions, Buffer>(gzip);

export async function compressBody(text: string, encoding: Compression): Promise<Buffer> {
  const input = Buffer.from(text, 'utf8');
  if (encoding === 'gzip') return gz(input, { level: 6 });
  return br(input, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: input.length,
    },
  });
}
