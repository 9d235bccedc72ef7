import { renameSync, rmSync } from 'node:fs';
import type { Clock } from '../../core/types.js';
import {
  clockOffsetFromExchange,
  exportPublicKeyPem,
  keyFingerprint,
  publicKeyFromRaw,
  publicKeyToRaw,
  signRequest,
  SigningKey,
  verifyResponse,
} from '../protocol/index.js';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../outbox/box-id.js';
import { parseEnrolCode } from './code.js';
import {
  enrolmentExists,
  enrolmentPaths,
  ensureSyncDir,
  fsyncDir,
  loadEnrolment,
  writeFileAtomic,
  writeTempBeside,
  type EnrolmentRecord,
} from './files.js';
import { ENROL_PATH, enrolResponseSchema, type EnrolRequest } from './wire.js';

/**
 * `fenghuo enroll`: makes the box's Ed25519 key pair, asks the hub to enrol it with the one-time code, and keeps what
 * enrolment gives under `<data>/sync/` (files.ts). The key is written to a synced temporary file before the request
 * leaves, so an enrolment the hub accepted is never lost to a failed write afterwards; `enrolment.json` is renamed
 * into place last. The hub's answer must be signed by the county key it carries and bound to this request, or
 * nothing is kept.
 */

export class EnrolError extends Error {
  override readonly name = 'EnrolError';
  constructor(
    message: string,
    /** 2: the command line or the box's state (already enrolled); 1: the hub refused or could not be reached. */
    readonly exitCode: 1 | 2,
    /** The hub's refusal code, when it answered one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface EnrolOptions {
  /** The hub's origin, e.g. `http://hub.example:8470`. */
  readonly hubUrl: string;
  readonly code: string;
  /** Default: the id the code is bound to. */
  readonly boxId?: string;
  readonly dataDir: string;
  /** Replace an existing enrolment. */
  readonly force?: boolean;
  readonly name?: string;
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
}

export interface EnrolOutcome {
  readonly record: EnrolmentRecord;
  readonly boxKeyFingerprint: string;
  readonly countyKeyFingerprint: string;
  /** Hub clock − box clock, learned from the signed answer (± `clockUncertaintyMs`). */
  readonly clockOffsetMs: number;
  readonly clockUncertaintyMs: number;
  readonly files: readonly string[];
}

/** The hub's origin from what the installer typed (`http(s)://host[:port]`, no path). */
export function parseHubUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnrolError(`--hub ${text} is not a URL; expected e.g. http://hub.example:8470`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EnrolError(`--hub ${text}: only http:// and https:// hubs`, 2);
  if (url.username !== '' || url.password !== '') throw new EnrolError('--hub: no user name or password in the URL', 2);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new EnrolError(`--hub ${text}: give the hub's address without a path, e.g. ${url.origin}`, 2);
  }
  return url;
}

function describeRefusal(code: string | undefined, status: number): string {
  switch (code) {
    case 'unknown_code':
      return 'the hub does not know this code (mistyped, or made for another hub)';
    case 'code_expired':
      return 'the code has expired; make a new one with `fenghuo hub enrol-code`';
    case 'code_used':
      return 'the code has already been used; make a new one with `fenghuo hub enrol-code`';
    case 'code_box_mismatch':
      return 'the code was made for another box id (leave --box out to use the code\'s)';
    case 'box_exists':
      return 'the hub already has a box with this id; choose another --box, or revoke and remove the old one at the hub';
    case 'rate_limited':
      return 'too many failed attempts from this address; wait and try again';
    default:
      return `the hub answered ${status}${code === undefined ? '' : ` (${code})`}`;
  }
}

async function readError(res: Response): Promise<{ code?: string; message?: string }> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof body.error?.code === 'string' ? body.error.code : undefined;
    const message = typeof body.error?.message === 'string' ? body.error.message : undefined;
    return { ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }) };
  } catch {
    return {};
  }
}

export async function enrolBox(opts: EnrolOptions): Promise<EnrolOutcome> {
  const clock = opts.clock ?? Date.now;
  const doFetch = opts.fetch ?? fetch;
  const hub = parseHubUrl(opts.hubUrl);
  const code = parseEnrolCode(opts.code);
  if (code === undefined) throw new EnrolError('--code: that is not an enrolment code (20 letters and digits, e.g. 7KQM3-XPA9W-ZTH2R-CFN4D)', 2);
  const boxId = opts.boxId ?? code.boxId;
  if (boxId === undefined) throw new EnrolError('--box ID is needed: this code is not made for a particular box', 2);
  if (!BOX_ID_PATTERN.test(boxId)) throw new EnrolError(`--box ${boxId}: ${BOX_ID_RULE}`, 2);
  if (code.boxId !== undefined && code.boxId !== boxId) {
    throw new EnrolError(`--box ${boxId}: this code is for box ${code.boxId} (leave --box out, or ask for a code for ${boxId})`, 2);
  }
  if (enrolmentExists(opts.dataDir) && opts.force !== true) {
    let already = '';
    try {
      const e = loadEnrolment(opts.dataDir);
      if (e !== undefined) already = ` as ${e.record.boxId} with ${e.record.hub}`;
    } catch {
      // a broken enrolment is still one: --force replaces it
    }
    throw new EnrolError(`this box is already enrolled${already} (${enrolmentPaths(opts.dataDir).enrolment}); --force enrols it again`, 2);
  }

  const key = SigningKey.generate(boxId);
  const paths = enrolmentPaths(opts.dataDir);
  ensureSyncDir(opts.dataDir);
  // The secret is on disk (synced, 0600) before the hub hears of its public half.
  const keyTmp = writeTempBeside(paths.boxKey, key.exportPrivateKeyPem());
  let keep = false;
  try {
    const body: EnrolRequest = {
      code: code.canonical,
      boxId,
      publicKey: publicKeyToRaw(key.publicKey),
      ...(opts.name === undefined ? {} : { name: opts.name }),
    };
    const bodyText = JSON.stringify(body);
    const url = new URL(ENROL_PATH, hub);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const signed = signRequest({ method: 'POST', url, headers, body: bodyText }, { key, now: clock });
    const sentHeaders = { ...headers, ...signed.headers };

    const sentAtMs = clock();
    let res: Response;
    try {
      res = await doFetch(url, { method: 'POST', headers: sentHeaders, body: bodyText, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000), redirect: 'error' });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      throw new EnrolError(`cannot reach the hub at ${hub.origin}: ${cause}`, 1);
    }
    const receivedAtMs = clock();
    if (res.status !== 200) {
      const { code: refusal, message } = await readError(res);
      throw new EnrolError(`enrolment refused: ${describeRefusal(refusal, res.status)}${message !== undefined && refusal === 'bad_request' ? `: ${message}` : ''}`, 1, refusal);
    }
    const answerBytes = new Uint8Array(await res.arrayBuffer());
    let answerJson: unknown;
    try {
      answerJson = JSON.parse(Buffer.from(answerBytes).toString('utf8'));
    } catch {
      throw new EnrolError('the hub\'s answer is not JSON: is this a fenghuo hub?', 1);
    }
    const answer = enrolResponseSchema.safeParse(answerJson);
    if (!answer.success) throw new EnrolError('the hub\'s answer is not an enrolment answer: is this a fenghuo hub?', 1);
    const { countyKeyId, countyPublicKey, boxId: enrolledId } = answer.data;
    if (enrolledId !== boxId) throw new EnrolError(`the hub enrolled ${enrolledId}, not ${boxId}`, 1);
    const countyKey = publicKeyFromRaw(countyPublicKey);
    const verified = verifyResponse(
      { status: res.status, headers: res.headers, body: answerBytes },
      { method: 'POST', url, headers: sentHeaders },
      { keys: new Map([[countyKeyId, countyKey]]) },
    );
    if (!verified.ok) throw new EnrolError(`the hub's answer is not signed by the county key it sent (${verified.reason}); nothing kept`, 1, verified.reason);
    const clockEstimate = clockOffsetFromExchange({ sentAtMs, receivedAtMs, peerCreatedSec: verified.created });

    const record: EnrolmentRecord = {
      hub: hub.origin,
      boxId,
      countyKeyId,
      enrolledAt: answer.data.hubTime,
      boxKeyFingerprint: key.fingerprint,
      countyKeyFingerprint: keyFingerprint(countyKey),
    };
    renameSync(keyTmp, paths.boxKey);
    keep = true;
    writeFileAtomic(paths.countyPub, exportPublicKeyPem(countyKey));
    writeFileAtomic(paths.enrolment, `${JSON.stringify(record, null, 2)}\n`);
    fsyncDir(paths.dir);
    return {
      record,
      boxKeyFingerprint: key.fingerprint,
      countyKeyFingerprint: keyFingerprint(countyKey),
      clockOffsetMs: clockEstimate.offsetMs,
      clockUncertaintyMs: clockEstimate.uncertaintyMs,
      files: [paths.boxKey, paths.countyPub, paths.enrolment],
    };
  } finally {
    if (!keep) rmSync(keyTmp, { force: true });
  }
}
