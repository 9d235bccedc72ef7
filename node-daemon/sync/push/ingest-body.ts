/**
 * `POST /api/v1/sync/ingest` as the box writes and reads it (docs/sync.md, "Push"). Pure.
 *
 * The body is `{ box, dbId, batch, lanes: [{ lane, after, records }] }`, lanes in priority order, fields in the
 * order the document writes them; the answer `{ acked: { lane: seq }, hubTime }` (200 and 409 alike) and a refusal
 * `{ error: { code } }`. The answer is read only after its signature verified (push-client.ts).
 */
import { LANES, type Lane } from '../outbox/lanes.js';
import type { SyncRecord } from '../outbox/records.js';

export const INGEST_PATH = '/api/v1/sync/ingest';

export interface IngestLaneBody {
  readonly lane: Lane;
  /** The lane's acknowledged cursor when the request was made. */
  readonly after: number;
  readonly records: readonly SyncRecord[];
}

export interface IngestBody {
  readonly box: string;
  readonly dbId: string;
  /** The box's own request counter, for logs only. */
  readonly batch: number;
  readonly lanes: readonly IngestLaneBody[];
}

/** The body as JSON text, lanes in priority order. */
export function ingestBodyText(body: IngestBody): string {
  const lanes = [...body.lanes].sort((a, b) => LANES.indexOf(a.lane) - LANES.indexOf(b.lane));
  return JSON.stringify({
    box: body.box,
    dbId: body.dbId,
    batch: body.batch,
    lanes: lanes.map((l) => ({ lane: l.lane, after: l.after, records: l.records })),
  });
}

export interface IngestAnswer {
  /** The hub's mark per lane (the highest seq it holds in the lane); lanes it did not name are absent. */
  readonly acked: Partial<Record<Lane, number>>;
  /** The hub's clock when it answered (UTC ms), when given. */
  readonly hubTime?: number;
}

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The hub's `{acked, hubTime}`, or undefined when the body is not one. Unknown lanes are ignored; a lane whose mark
 * is not a whole number >= 0 makes the whole answer invalid (it would be guessed at otherwise).
 */
export function parseIngestAnswer(bytes: Uint8Array): IngestAnswer | undefined {
  const json = parseJson(bytes);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const j = json as Record<string, unknown>;
  const ackedIn = j['acked'];
  if (typeof ackedIn !== 'object' || ackedIn === null || Array.isArray(ackedIn)) return undefined;
  const acked: Partial<Record<Lane, number>> = {};
  for (const lane of LANES) {
    const v = (ackedIn as Record<string, unknown>)[lane];
    if (v === undefined) continue;
    if (!isSeq(v)) return undefined;
    acked[lane] = v;
  }
  const hubTime = j['hubTime'];
  return typeof hubTime === 'number' && Number.isSafeInteger(hubTime) && hubTime > 0 ? { acked, hubTime } : { acked };
}

/** `error.code` of a refusal body `{"error": {"code": …}}`, when there is one (at most 64 characters kept). */
export function refusalCode(bytes: Uint8Array): string | undefined {
  const json = parseJson(bytes);
  if (typeof json !== 'object' || json === null) return undefined;
  const error = (json as Record<string, unknown>)['error'];
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as Record<string, unknown>)['code'];
  return typeof code === 'string' && code !== '' ? code.slice(0, 64) : undefined;
}

/** `error.message` and `error.param` of a refusal body, when given (at most 300 and 200 characters kept). */
export function refusalDetail(bytes: Uint8Array): { readonly message?: string; readonly param?: string } {
  const json = parseJson(bytes);
  if (typeof json !== 'object' || json === null) return {};
  const error = (json as Record<string, unknown>)['error'];
  if (typeof error !== 'object' || error === null) return {};
  const { message, param } = error as Record<string, unknown>;
  return {
    ...(typeof message === 'string' && message !== '' ? { message: message.slice(0, 300) } : {}),
    ...(typeof param === 'string' && param !== '' ? { param: param.slice(0, 200) } : {}),
  };
}

/**
 * `Retry-After` in ms: delay-seconds, or an HTTP date (relative to `now`, box clock plus offset). Undefined when
 * absent or unreadable; at most a day.
 */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d{1,9}$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (!Number.isFinite(at)) return undefined;
    ms = at - now;
  }
  return Math.min(86_400_000, Math.max(0, ms));
}
