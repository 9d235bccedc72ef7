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
import { parsePin, PIN_RULE } from '../push/tls-pin.js';
import { NodeHttpTransport, type WireResult } from '../push/transport.js';
import { parseEnrolCode } from './code.js';
import { probeHubCertificate } from './hub-certificate.js';
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
 *
 * An https hub's certificate is pinned (docs/sync.md, "TLS and the pinned hub certificate"): a TLS handshake first
 * shows its key; the installer's `--pin` must match it, or, without `--pin`, the system's CAs must vouch for it. The
 * request then goes over a connection that must show that key, and its pin is kept in enrolment.json for every
 * later request. A self-signed hub certificate is enrolled with `--pin` only.
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
  /** https hubs: the pin of the hub's certificate key (`sha256/…`) as the county gave it. */
  readonly pin?: string;
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
  /** How the https hub's key came to be trusted: the installer's --pin, or a CA. */
  readonly pinnedBy?: 'pin' | 'ca';
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

function readError(body: Uint8Array): { code?: string; message?: string } {
  try {
    const json = JSON.parse(Buffer.from(body).toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    const parsed = { error: json.error };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
    return { ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }) };
  } catch {
    return {};
  }
}

export async function enrolBox(opts: EnrolOptions): Promise<EnrolOutcome> {
  const clock = opts.clock ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const hub = parseHubUrl(opts.hubUrl);
  let givenPin: string | undefined;
  if (opts.pin !== undefined) {
    if (hub.protocol !== 'https:') throw new EnrolError('--pin is for an https hub: a plain http hub has no certificate to pin', 2);
    givenPin = parsePin(opts.pin);
    if (givenPin === undefined) throw new EnrolError(`--pin ${opts.pin}: ${PIN_RULE}`, 2);
  }
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

  const tls = hub.protocol === 'https:' ? await pinHub(hub, givenPin, timeoutMs) : undefined;
  const transport = new NodeHttpTransport(tls === undefined ? {} : { tlsPin: tls.pin });

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
    const bodyBytes = new TextEncoder().encode(JSON.stringify(body));
    const url = new URL(ENROL_PATH, hub);
    const headers: Record<string, string> = {
      host: url.host,
      'user-agent': 'fenghuo-enroll',
      accept: 'application/json',
      'content-type': 'application/json',
      'content-length': String(bodyBytes.byteLength),
      connection: 'close',
    };
    const signed = signRequest({ method: 'POST', url, headers, body: bodyBytes }, { key, now: clock });
    const sentHeaders = { ...headers, ...signed.headers };

    const sentAtMs = clock();
    let res: Extract<WireResult, { ok: true }>;
    try {
      const r = await transport.send({ url, method: 'POST', headers: sentHeaders, body: bodyBytes, timeoutMs });
      if (!r.ok) throw new EnrolError(`cannot reach the hub at ${hub.origin}: ${r.message}`, 1);
      res = r;
    } finally {
      transport.close();
    }
    const receivedAtMs = clock();
    if (res.status !== 200) {
      const { code: refusal, message } = readError(res.body);
      throw new EnrolError(`enrolment refused: ${describeRefusal(refusal, res.status)}${message !== undefined && refusal === 'bad_request' ? `: ${message}` : ''}`, 1, refusal);
    }
    const answerBytes = res.body;
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
      ...(tls === undefined ? {} : { tlsPin: tls.pin }),
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
      ...(tls === undefined ? {} : { pinnedBy: tls.by }),
    };
  } finally {
    if (!keep) rmSync(keyTmp, { force: true });
  }
}

/** The pin to keep for an https hub: the installer's, which the hub must show, or the key a CA vouches for. */
async function pinHub(hub: URL, givenPin: string | undefined, timeoutMs: number): Promise<{ pin: string; by: 'pin' | 'ca' }> {
  let cert;
  try {
    cert = await probeHubCertificate(hub, timeoutMs);
  } catch (err) {
    throw new EnrolError(`cannot reach the hub at ${hub.origin} over TLS: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  if (givenPin !== undefined) {
    if (cert.pin !== givenPin) {
      throw new EnrolError(
        `the hub at ${hub.origin} shows a certificate key with pin ${cert.pin}, not the --pin given (${givenPin}): nothing was sent. ` +
          'Check the pin with the county; a different key means another server, or a hub whose certificate key changed',
        1,
        'pin_mismatch',
      );
    }
    return { pin: cert.pin, by: 'pin' };
  }
  if (!cert.caTrusted) {
    throw new EnrolError(
      `the hub at ${hub.origin} shows a certificate no certificate authority of this box vouches for (${cert.caError ?? 'untrusted'}; subject ${cert.subject}). ` +
        `Its key's pin is ${cert.pin}: if the county confirms that pin, enrol with --pin ${cert.pin}. Nothing was sent`,
      1,
      'untrusted_certificate',
    );
  }
  return { pin: cert.pin, by: 'ca' };
}
