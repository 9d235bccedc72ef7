import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CameraError } from './errors.js';
import { imageKind, type ImageKind } from './image-magic.js';

export interface FetchSnapshotOptions {
  readonly url: string;
  /** Hard limit for the whole answer, headers and body. */
  readonly timeoutMs: number;
  /** Larger answers are refused (`too-large`) without reading further. */
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

export interface FetchedImage {
  readonly bytes: Buffer;
  readonly kind: ImageKind;
}

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Fetches one picture from an HTTP snapshot URL (ONVIF's GetSnapshotUri gives one): one GET, no redirects, a hard
 * timeout over the whole answer, a size cap, and the bytes checked to be a JPEG or PNG by their magic numbers (a
 * camera's login page or error text is refused as `not-image`). Credentials in the URL go as HTTP basic auth.
 */
export function fetchSnapshot(o: FetchSnapshotOptions): Promise<FetchedImage> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      return reject(new CameraError('invalid-input', `not a URL: '${o.url}'`));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new CameraError('invalid-input', `not an http:// URL: '${o.url}'`));
    let settled = false;
    const finish = (err: CameraError | undefined, value?: FetchedImage): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      if (err !== undefined) reject(err);
      else resolve(value!);
    };
    const auth = url.username === '' ? undefined : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', headers: { accept: 'image/jpeg, image/png;q=0.9', connection: 'close' }, ...(auth === undefined ? {} : { auth }) }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        return finish(new CameraError('http-status', `snapshot URL answered HTTP ${String(res.statusCode)}`));
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) return finish(new CameraError('too-large', `snapshot of ${declared} bytes is over the cap of ${o.maxBytes}`));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        size += b.length;
        if (size > o.maxBytes) return finish(new CameraError('too-large', `snapshot is over the cap of ${o.maxBytes} bytes`));
        chunks.push(b);
      });
      res.on('error', (e) => finish(new CameraError('refused', `snapshot download failed: ${e.message}`)));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const kind = imageKind(bytes);
        if (kind === undefined) return finish(new CameraError('not-image', `the answer (${bytes.length} bytes, ${String(res.headers['content-type'] ?? 'no type')}) is not a JPEG or PNG`));
        finish(undefined, { bytes, kind });
      });
    });
    const timer = setTimeout(() => finish(new CameraError('timeout', `no picture within ${o.timeoutMs} ms`)), o.timeoutMs);
    const onAbort = (): void => finish(new CameraError('timeout', 'snapshot abandoned (stopping)'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => {
      finish(REFUSED.has(e.code ?? '') ? new CameraError('refused', `cannot connect to ${url.host}: ${e.code ?? e.message}`) : new CameraError('refused', `snapshot request failed: ${e.message}`));
    });
    req.end();
  });
}
