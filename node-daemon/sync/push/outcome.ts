/**
 * What one push exchange came to, and what the client does about it (docs/sync.md, "Push" and "Link economy";
 * docs/sync-signatures.md, "Clocks"). Pure: the client hands in the status, whether the answer's signature verified
 * (bound to the request just sent) and the answer's bytes.
 *
 * | outcome      | when                                                        | the client                                   |
 * |--------------|-------------------------------------------------------------|----------------------------------------------|
 * | `stored`     | 200, signed, `{acked}`                                      | acks the lanes, next request at once          |
 * | `conflict`   | 409, signed, `{acked}`                                      | rewinds lanes to the hub's marks, acks others, resends at once |
 * | `clock`      | 401 `too_old` / `from_future`, signed                       | learns the offset from the answer, re-signs and retries once |
 * | `too_large`  | 413 (signed or not: acting on it only shrinks requests)     | halves the batch target, retries at once      |
 * | `busy`       | 429 / 503 (signed or not; `Retry-After` honoured)           | waits (backoff, at least Retry-After)         |
 * | `malformed`  | 400 `bad_request`, signed: the hub cannot read a record      | isolates the record (isolate.ts), sets it aside |
 * | `stale_database` | 409 `stale_database`, signed: the hub holds a newer database of this box | backs off; the link is `stale_database` |
 * | `refused`    | another 4xx, signed (400 other codes, 401, 403 unknown or revoked, 415) | backs off; the link is `down`    |
 * | `server`     | 5xx other than 503, signed                                  | backs off, halves the target                 |
 * | `unverified` | an answer not signed by the county key for this request     | backs off, halves the target; never acted on |
 * | `bad_answer` | 200/409 signed but not `{acked}`                            | backs off                                     |
 * | `network`    | no answer: timeout, reset (a refused connection sent nothing, so it does not halve) | backs off, halves the target |
 * |              | `certificate`: the hub's TLS key is not the pinned one (or, unpinned, a CA refused it) | backs off; the link is `certificate_refused` |
 * | `internal`   | the box's own error while preparing the request             | backs off                                     |
 */
import type { IngestAnswer } from './ingest-body.js';
import { parseIngestAnswer, refusalCode, refusalDetail } from './ingest-body.js';

export type NetworkFailure = 'timeout' | 'reset' | 'refused' | 'network' | 'certificate';

export type PushOutcome =
  | { readonly kind: 'stored'; readonly answer: IngestAnswer }
  | { readonly kind: 'conflict'; readonly answer: IngestAnswer }
  | { readonly kind: 'clock'; readonly code: 'too_old' | 'from_future' }
  | { readonly kind: 'too_large'; readonly signed: boolean }
  | { readonly kind: 'busy'; readonly status: number; readonly signed: boolean }
  | { readonly kind: 'refused'; readonly status: number; readonly code?: string }
  /** 400 bad_request: `param` is the key path the hub names (`lanes.0.records.3.payload`), `message` its words. */
  | { readonly kind: 'malformed'; readonly param?: string; readonly message?: string }
  | { readonly kind: 'stale_database'; readonly message?: string }
  | { readonly kind: 'server'; readonly status: number; readonly code?: string }
  | { readonly kind: 'unverified'; readonly status: number; readonly reason: string }
  | { readonly kind: 'bad_answer'; readonly status: number }
  | { readonly kind: 'network'; readonly failure: NetworkFailure; readonly message: string }
  /** The box's own failure (reading the outbox, signing): backs off, the target stays. */
  | { readonly kind: 'internal'; readonly message: string };

export interface AnsweredExchange {
  readonly status: number;
  /** The refusal code when the signature did not verify (`missing_component` for an unsigned answer), else undefined. */
  readonly unverified?: string;
  readonly body: Uint8Array;
}

export function classifyAnswer(x: AnsweredExchange): PushOutcome {
  const signed = x.unverified === undefined;
  // Acting on these needs no trust: they only make the box send less, or later.
  if (x.status === 413) return { kind: 'too_large', signed };
  if (x.status === 429 || x.status === 503) return { kind: 'busy', status: x.status, signed };
  if (!signed) return { kind: 'unverified', status: x.status, reason: x.unverified ?? 'unverified' };
  if (x.status === 409 && refusalCode(x.body) === 'stale_database') {
    const { message } = refusalDetail(x.body);
    return { kind: 'stale_database', ...(message === undefined ? {} : { message }) };
  }
  if (x.status === 200 || x.status === 409) {
    const answer = parseIngestAnswer(x.body);
    if (answer === undefined) return { kind: 'bad_answer', status: x.status };
    return x.status === 200 ? { kind: 'stored', answer } : { kind: 'conflict', answer };
  }
  const code = refusalCode(x.body);
  if (x.status === 401 && (code === 'too_old' || code === 'from_future')) return { kind: 'clock', code };
  if (x.status === 400 && code === 'bad_request') {
    const { param, message } = refusalDetail(x.body);
    return { kind: 'malformed', ...(param === undefined ? {} : { param }), ...(message === undefined ? {} : { message }) };
  }
  if (x.status >= 500) return { kind: 'server', status: x.status, ...(code === undefined ? {} : { code }) };
  if (x.status >= 400) return { kind: 'refused', status: x.status, ...(code === undefined ? {} : { code }) };
  // 1xx/2xx/3xx other than the above: not an answer this protocol gives.
  return { kind: 'bad_answer', status: x.status };
}

/** Whether the outcome counts as a failed attempt (backoff), and whether it halves the batch target. */
export function outcomeEffects(o: PushOutcome): { readonly failure: boolean; readonly halveTarget: boolean; readonly hubRefusedBox: boolean } {
  switch (o.kind) {
    case 'stored':
    case 'conflict':
    case 'clock':
    case 'too_large':
      return { failure: false, halveTarget: o.kind === 'too_large', hubRefusedBox: false };
    case 'busy':
      return { failure: true, halveTarget: false, hubRefusedBox: false };
    case 'refused':
    case 'malformed':
    case 'stale_database':
      return { failure: true, halveTarget: false, hubRefusedBox: true };
    case 'bad_answer':
    case 'internal':
      return { failure: true, halveTarget: false, hubRefusedBox: false };
    case 'server':
    case 'unverified':
      return { failure: true, halveTarget: true, hubRefusedBox: false };
    case 'network':
      // A connection refused sent nothing: nothing says the request was too big for the link.
      // Nor does a certificate refused before the request went.
      return { failure: true, halveTarget: o.failure !== 'refused' && o.failure !== 'certificate', hubRefusedBox: false };
  }
}

/** One line for logs and the health view's `lastError`. */
export function describeOutcome(o: PushOutcome): string {
  switch (o.kind) {
    case 'stored':
      return 'stored';
    case 'conflict':
      return 'conflict: the hub holds less than the box was told (409); rewinding';
    case 'clock':
      return `clock: the hub refused the signature as ${o.code}`;
    case 'too_large':
      return `the hub refused the body as too large (413${o.signed ? '' : ', unsigned'})`;
    case 'busy':
      return `the hub is busy (${o.status}${o.signed ? '' : ', unsigned'})`;
    case 'refused':
      return `the hub refused the request (${o.status}${o.code === undefined ? '' : ` ${o.code}`})`;
    case 'malformed':
      return `the hub refused the request as malformed (400 bad_request${o.param === undefined ? '' : ` at ${o.param}`}${o.message === undefined ? '' : `: ${o.message}`})`;
    case 'stale_database':
      return STALE_DATABASE_MESSAGE;
    case 'server':
      return `hub error (${o.status}${o.code === undefined ? '' : ` ${o.code}`})`;
    case 'unverified':
      return `an answer (${o.status}) not signed by the county key for this request (${o.reason})`;
    case 'bad_answer':
      return `an answer (${o.status}) that is not {acked, hubTime}`;
    case 'network':
      return `${o.failure}: ${o.message}`;
    case 'internal':
      return `box error: ${o.message}`;
  }
}

/** For the installer (health `lastError`, the log): what 409 stale_database means and what to do. */
export const STALE_DATABASE_MESSAGE =
  'the county hub refuses this database (409 stale_database): it already holds records from a newer database of this box, so this one is an old copy ' +
  '(an SD card or backup put back). Nothing is pushed until it is resolved: put the newest database back in the data directory, ' +
  'or, to keep this one, enrol the box again under a new id (fenghuo enroll --force --box NEW-ID --code CODE)';
