/**
 * Fetching the XMLTV guide's text from a file on the box or a URL (TVHeadend's `/xmltv`), decoded by the encoding its
 * XML declaration names (UTF-8 when it names none; iconv-lite for GB18030 and the like).
 */
import { readFile } from 'node:fs/promises';
import iconv from 'iconv-lite';
import type { XmltvSourceConfig } from './config-schema.js';

/** A guide larger than this is refused: a week of a hundred channels is a few MB. */
export const MAX_GUIDE_BYTES = 64 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 60_000;

/** Why the guide could not be fetched (not why its content is wrong: that is XmltvError's). */
export class GuideFetchError extends Error {
  override readonly name = 'GuideFetchError';
}

export function guideSourceName(source: XmltvSourceConfig): string {
  return source.file !== undefined ? `file:${source.file}` : source.url!;
}

export async function fetchGuideText(source: XmltvSourceConfig): Promise<string> {
  const bytes = source.file !== undefined ? await readGuideFile(source.file) : await fetchGuideUrl(source.url!);
  if (bytes.length > MAX_GUIDE_BYTES) throw new GuideFetchError(`the guide is ${bytes.length} bytes, more than the ${MAX_GUIDE_BYTES} taken`);
  return decodeGuide(bytes);
}

async function readGuideFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GuideFetchError(code === 'ENOENT' ? `no file ${file}` : `cannot read ${file}: ${code ?? String(err)}`);
  }
}

async function fetchGuideUrl(url: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/xml, text/xml' } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new GuideFetchError(`cannot fetch ${url}: ${cause ?? (err instanceof Error ? err.message : String(err))}`);
  }
  if (!res.ok) throw new GuideFetchError(`${url} answered HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_GUIDE_BYTES) throw new GuideFetchError(`${url} sends ${declared} bytes, more than the ${MAX_GUIDE_BYTES} taken`);
  return Buffer.from(await res.arrayBuffer());
}

/** The text of the guide: a UTF-8 byte-order mark dropped, another declared encoding decoded. */
export function decodeGuide(bytes: Buffer): string {
  const head = bytes.subarray(0, 200).toString('latin1');
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  if (declared !== undefined && declared !== 'utf-8' && declared !== 'utf8' && iconv.encodingExists(declared)) return iconv.decode(bytes, declared);
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
