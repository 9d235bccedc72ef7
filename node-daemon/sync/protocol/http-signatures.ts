import { randomBytes, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { bodyBytes, contentDigest, verifyContentDigest, type Body } from './content-digest.js';
import { refuse, type Refusal } from './refusal.js';
import type { ReplayGuard } from './replay-guard.js';
import {
  buildSignatureBase,
  component,
  componentKey,
  fieldValue,
  readSignatureInputMember,
  serializeComponentId,
  type ComponentId,
  type HeaderBag,
  type RequestMessage,
  type ResponseMessage,
  type SignatureTarget,
} from './signature-base.js';
import { dictMember, isInnerList, parseDictionary, serializeDictionary, sfBytes, sfInteger, sfString, item, StructuredFieldError, type BareItem, type Parameters } from './structured-fields.js';
import type { SigningKey } from './keys.js';

/**
 * The fenghuo sync signature profile: HTTP Message Signatures (RFC 9421) with Ed25519 over box↔hub requests and
 * responses. Pure (node:crypto signs and verifies; nothing here does I/O). docs/sync-signatures.md is the
 * human-readable version of this file.
 *
 * Every message carries one signature labelled `sig1` with parameters, in this order,
 * `created`, `expires` (optional), `keyid`, `nonce`, `alg="ed25519"`, `tag="fenghuo-sync"`, covering:
 * - a request: `"@method" "@authority" "@path"`, `"@query"` when the URL has one, `"content-digest"` when there is a
 *   body (the digest is added by the signer), `"content-type"` and `"content-encoding"` when present;
 * - a response: `"@status"`, `"content-digest"` / `"content-type"` / `"content-encoding"` as above, then the request
 *   it answers: `"@method";req "@authority";req "@path";req`, `"@query";req` and `"content-digest";req` when the
 *   request had them, and `"signature-input";req;key="sig1"` (the request's covered components, created and nonce),
 *   so a response verifies only against the very request it answers.
 */

export const SIGNATURE_LABEL = 'sig1';
export const SIGNATURE_TAG = 'fenghuo-sync';
export const SIGNATURE_ALG = 'ed25519';

const MAX_NONCE_LENGTH = 128;
const MIN_NONCE_LENGTH = 16;

/** A message to sign or verify: the request or response plus its body bytes (as sent: compressed if it is). */
export interface SignableRequest extends RequestMessage {
  readonly body?: Body;
}

export interface SignableResponse extends ResponseMessage {
  readonly body?: Body;
}

export interface SignOptions {
  readonly key: SigningKey;
  /** UNIX ms by the clock the peer shares: the box passes its clock plus the offset it learned from the hub. */
  readonly now: () => number;
  /** Adds `expires` this many seconds after `created`. Leave it out unless there is a reason: the window bounds age anyway. */
  readonly expiresInSec?: number;
  /** For tests only: a fixed nonce. Otherwise 16 random bytes, base64url. */
  readonly nonce?: string;
}

/** The fields a signer adds to its message (names lowercase). */
export interface SignatureFields {
  readonly 'content-digest'?: string;
  readonly 'signature-input': string;
  readonly signature: string;
}

export interface Signed {
  readonly headers: SignatureFields;
  /** The signature base that was signed (for debugging and tests; it holds no secret). */
  readonly base: string;
  readonly created: number;
  readonly nonce: string;
}

export type KeyResolver = ReadonlyMap<string, KeyObject> | ((keyid: string) => KeyObject | undefined);

export interface Verified {
  readonly ok: true;
  readonly keyid: string;
  readonly created: number;
  readonly expires?: number;
  readonly nonce: string;
  /** The covered components, as identifiers (`"@method"`, `"content-digest";req`, …). */
  readonly covered: readonly string[];
}

export type VerifyResult = Verified | Refusal;

export interface VerifyRequestOptions {
  readonly keys: KeyResolver;
  /** Checks created/expires and remembers the nonce (after the signature verified). */
  readonly guard: ReplayGuard;
}

export interface VerifyResponseOptions {
  readonly keys: KeyResolver;
  /**
   * Optional for responses: a response must be bound to the request it answers (`"signature-input";req`), whose
   * nonce the box made fresh for that one request, so it cannot be a replay and its `created` can teach the box the
   * hub's time. Give a guard to check the window as well.
   */
  readonly guard?: ReplayGuard;
}

// ---- helpers ----

interface ProfileParams {
  readonly created: number;
  readonly expires?: number;
  readonly keyid: string;
  readonly nonce: string;
}

function profileParams(p: ProfileParams): Parameters {
  const out: Array<readonly [string, BareItem]> = [['created', sfInteger(p.created)]];
  if (p.expires !== undefined) out.push(['expires', sfInteger(p.expires)]);
  out.push(['keyid', sfString(p.keyid)], ['nonce', sfString(p.nonce)], ['alg', sfString(SIGNATURE_ALG)], ['tag', sfString(SIGNATURE_TAG)]);
  return out;
}

const hasBody = (body: Body | undefined): body is Body => body !== undefined && bodyBytes(body).length > 0;

/**
 * The signer's view of a message's content: with a body, our own Content-Digest replaces any given (the caller sends
 * ours); "content-digest" is covered when there is a body or a Content-Digest field, the verifier's rule exactly.
 */
function withDigest(headers: HeaderBag, body: Body | undefined): { headers: HeaderBag; digest: string | undefined; coverDigest: boolean } {
  if (!hasBody(body)) return { headers, digest: undefined, coverDigest: fieldValue(headers, 'content-digest') !== undefined };
  const digest = contentDigest(body);
  const overlaid: HeaderBag = {
    get: (name: string): string | null => (name.toLowerCase() === 'content-digest' ? digest : (fieldValue(headers, name) ?? null)),
  };
  return { headers: overlaid, digest, coverDigest: true };
}

function urlHasQuery(url: string | URL): boolean {
  try {
    return (url instanceof URL ? url : new URL(url)).search !== '';
  } catch {
    return false;
  }
}

/** The profile's components for a message's own content (requests and responses alike). */
function contentComponents(headers: HeaderBag, digest: boolean): ComponentId[] {
  const out: ComponentId[] = [];
  if (digest) out.push(component('content-digest'));
  if (fieldValue(headers, 'content-type') !== undefined) out.push(component('content-type'));
  if (fieldValue(headers, 'content-encoding') !== undefined) out.push(component('content-encoding'));
  return out;
}

function requestComponents(req: SignableRequest, digest: boolean, headers: HeaderBag): ComponentId[] {
  const out = [component('@method'), component('@authority'), component('@path')];
  if (urlHasQuery(req.url)) out.push(component('@query'));
  return [...out, ...contentComponents(headers, digest)];
}

/** Whether the request carries our signature's Signature-Input member (so a response can bind to it). */
function hasOurSignatureInput(headers: HeaderBag): boolean {
  const raw = fieldValue(headers, 'signature-input');
  if (raw === undefined) return false;
  try {
    return dictMember(parseDictionary(raw), SIGNATURE_LABEL) !== undefined;
  } catch {
    return false;
  }
}

/** The `;req` components binding a response to its request. */
function bindingComponents(request: RequestMessage): ComponentId[] {
  const out = [component('@method', { req: true }), component('@authority', { req: true }), component('@path', { req: true })];
  if (urlHasQuery(request.url)) out.push(component('@query', { req: true }));
  if (fieldValue(request.headers, 'content-digest') !== undefined) out.push(component('content-digest', { req: true }));
  if (hasOurSignatureInput(request.headers)) out.push(component('signature-input', { req: true, key: SIGNATURE_LABEL }));
  return out;
}

function makeNonce(opts: SignOptions): string {
  return opts.nonce ?? randomBytes(16).toString('base64url');
}

function signTarget(components: ComponentId[], target: SignatureTarget, opts: SignOptions, digest: string | undefined): Signed {
  const created = Math.floor(opts.now() / 1000);
  const nonce = makeNonce(opts);
  const p: ProfileParams = {
    created,
    ...(opts.expiresInSec !== undefined ? { expires: created + Math.ceil(opts.expiresInSec) } : {}),
    keyid: opts.key.keyid,
    nonce,
  };
  const built = buildSignatureBase(components, profileParams(p), target);
  if (!built.ok) throw new Error(`fenghuo: cannot sign this message: ${built.detail}`);
  const signature = opts.key.sign(Buffer.from(built.base, 'ascii'));
  const headers: SignatureFields = {
    ...(digest !== undefined ? { 'content-digest': digest } : {}),
    'signature-input': `${SIGNATURE_LABEL}=${built.signatureParams}`,
    signature: serializeDictionary([[SIGNATURE_LABEL, item(sfBytes(signature))]]),
  };
  return { headers, base: built.base, created, nonce };
}

// ---- signing ----

/**
 * Signs a request. The caller adds the returned fields to the request it sends, with exactly the method, URL,
 * headers and body given here (set Content-Type yourself: fetch adds `text/plain;charset=UTF-8` to a string body
 * that has none, which would then be unsigned and refused). With a body, the returned Content-Digest replaces any in
 * `req.headers` (send only ours); without one, a Content-Digest given is covered as it is.
 */
export function signRequest(req: SignableRequest, opts: SignOptions): Signed {
  const { headers, digest, coverDigest } = withDigest(req.headers, req.body);
  const components = requestComponents(req, coverDigest, headers);
  return signTarget(components, { kind: 'request', request: { ...req, headers } }, opts, digest);
}

/**
 * Signs a response to `request` (as received: its method, URL, headers including its Signature-Input). Sign
 * refusals too: a box whose clock is wrong learns the hub's time from a signed refusal.
 */
export function signResponse(res: SignableResponse, request: RequestMessage, opts: SignOptions): Signed {
  const { headers, digest, coverDigest } = withDigest(res.headers, res.body);
  const components = [component('@status'), ...contentComponents(headers, coverDigest), ...bindingComponents(request)];
  return signTarget(components, { kind: 'response', response: { ...res, headers }, request }, opts, digest);
}

// ---- verifying ----

type Parsed = { components: ComponentId[]; params: Parameters; signature: Uint8Array; p: ProfileParams };

function parseSignature(headers: HeaderBag): Parsed | Refusal {
  const inputRaw = fieldValue(headers, 'signature-input');
  const sigRaw = fieldValue(headers, 'signature');
  if (inputRaw === undefined && sigRaw === undefined) return refuse('missing_component', 'the message is not signed (no Signature-Input, no Signature)');
  if (inputRaw === undefined || sigRaw === undefined) return refuse('malformed', `no ${inputRaw === undefined ? 'Signature-Input' : 'Signature'} field beside the other`);
  let inputDict, sigDict;
  try {
    inputDict = parseDictionary(inputRaw);
    sigDict = parseDictionary(sigRaw);
  } catch (e) {
    return refuse('malformed', `signature fields: ${e instanceof StructuredFieldError ? e.message : String(e)}`);
  }
  const inputMember = dictMember(inputDict, SIGNATURE_LABEL);
  const sigMember = dictMember(sigDict, SIGNATURE_LABEL);
  if (inputMember === undefined && sigMember === undefined) return refuse('missing_component', `no signature labelled ${SIGNATURE_LABEL}`);
  if (inputMember === undefined || sigMember === undefined) return refuse('malformed', `label ${SIGNATURE_LABEL} is in only one of Signature-Input and Signature`);
  if (isInnerList(sigMember) || sigMember.value.type !== 'bytes') return refuse('malformed', 'the Signature member is not a byte sequence');
  const read = readSignatureInputMember(inputMember);
  if ('error' in read) return refuse('malformed', read.error);

  const seen = new Set<string>();
  let created: number | undefined;
  let expires: number | undefined;
  let keyid: string | undefined;
  let nonce: string | undefined;
  let alg: string | undefined;
  let tag: string | undefined;
  for (const [k, v] of read.params) {
    if (seen.has(k)) return refuse('malformed', `signature parameter ${k} given twice`);
    seen.add(k);
    const isInt = v.type === 'integer' && v.value >= 0;
    const str = v.type === 'string' ? v.value : undefined;
    if (k === 'created' && isInt) created = v.value;
    else if (k === 'expires' && isInt) expires = v.value;
    else if (k === 'keyid' && str !== undefined) keyid = str;
    else if (k === 'nonce' && str !== undefined) nonce = str;
    else if (k === 'alg' && str !== undefined) alg = str;
    else if (k === 'tag' && str !== undefined) tag = str;
    else return refuse('malformed', `signature parameter ${k} is unknown or of the wrong type`, keyid);
  }
  if (keyid === undefined || keyid === '') return refuse('malformed', 'no keyid');
  // The tag and alg first: a signature made for another application is "not ours", whatever else it lacks.
  if (tag !== SIGNATURE_TAG) return refuse('bad_signature', tag === undefined ? 'no tag' : `tag ${JSON.stringify(tag)} is not ${SIGNATURE_TAG}`, keyid);
  if (alg !== SIGNATURE_ALG) return refuse('bad_signature', alg === undefined ? 'no alg' : `alg ${JSON.stringify(alg)} is not ${SIGNATURE_ALG}`, keyid);
  if (created === undefined) return refuse('malformed', 'no created', keyid);
  if (nonce === undefined || nonce.length < MIN_NONCE_LENGTH || nonce.length > MAX_NONCE_LENGTH) {
    return refuse('malformed', `the nonce must be ${MIN_NONCE_LENGTH} to ${MAX_NONCE_LENGTH} characters`, keyid);
  }
  if (expires !== undefined && expires < created) return refuse('malformed', 'expires is before created', keyid);
  if (sigMember.value.value.length !== 64) return refuse('malformed', 'an Ed25519 signature is 64 bytes', keyid);
  return {
    components: read.components,
    params: read.params,
    signature: sigMember.value.value,
    p: { created, keyid, nonce, ...(expires !== undefined ? { expires } : {}) },
  };
}

function resolveKey(keys: KeyResolver, keyid: string): KeyObject | undefined {
  const k = typeof keys === 'function' ? keys(keyid) : keys.get(keyid);
  if (k === undefined || k.type !== 'public' || k.asymmetricKeyType !== 'ed25519') return undefined;
  return k;
}

function verifyTarget(
  target: SignatureTarget,
  own: { headers: HeaderBag; body: Body | undefined },
  required: (digestCovered: boolean) => ComponentId[],
  keys: KeyResolver,
  guard: ReplayGuard | undefined,
): VerifyResult {
  const parsed = parseSignature(own.headers);
  if ('ok' in parsed) return parsed;
  const { components, params, signature, p } = parsed;
  const keyid = p.keyid;

  // The profile: what must be covered. A body, or a Content-Digest field, needs "content-digest" covered.
  const covered = new Set(components.map(componentKey));
  const needDigest = hasBody(own.body) || fieldValue(own.headers, 'content-digest') !== undefined;
  for (const c of required(needDigest)) {
    if (!covered.has(componentKey(c))) return refuse('missing_component', `${serializeComponentId(c)} is not covered`, keyid);
  }

  const publicKey = resolveKey(keys, keyid);
  if (publicKey === undefined) return refuse('unknown_key', `key ${JSON.stringify(keyid)} is not enrolled`, keyid);

  const built = buildSignatureBase(components, params, target);
  if (!built.ok) return refuse(built.reason, built.detail, keyid);
  let good: boolean;
  try {
    good = cryptoVerify(null, Buffer.from(built.base, 'ascii'), publicKey, signature);
  } catch {
    good = false;
  }
  if (!good) return refuse('bad_signature', 'the signature does not verify', keyid);

  if (needDigest) {
    const field = fieldValue(own.headers, 'content-digest');
    if (field === undefined) return refuse('digest_mismatch', 'a body but no Content-Digest', keyid);
    const d = verifyContentDigest(field, own.body ?? new Uint8Array(0));
    if (!d.ok) return refuse(d.reason, d.detail, keyid);
  }

  if (guard !== undefined) {
    const g = guard.accept(p);
    if (!g.ok) return refuse(g.reason, g.detail, keyid);
  }
  return {
    ok: true,
    keyid,
    created: p.created,
    nonce: p.nonce,
    ...(p.expires !== undefined ? { expires: p.expires } : {}),
    covered: components.map(serializeComponentId),
  };
}

/** Verifies a request against the profile: refusal codes in refusal.ts. `body` must be the bytes as received. */
export function verifyRequest(req: SignableRequest, opts: VerifyRequestOptions): VerifyResult {
  return verifyTarget(
    { kind: 'request', request: req },
    { headers: req.headers, body: req.body },
    (digest) => requestComponents(req, digest, req.headers),
    opts.keys,
    opts.guard,
  );
}

/**
 * Verifies a response against the profile, given the request it answers exactly as it was sent (with the
 * Signature-Input the signer added): the response must cover the request's method, authority, path, query, digest
 * and Signature-Input with `;req`.
 */
export function verifyResponse(res: SignableResponse, request: RequestMessage, opts: VerifyResponseOptions): VerifyResult {
  if (!hasOurSignatureInput(request.headers)) {
    return refuse('missing_component', `the request given has no Signature-Input ${SIGNATURE_LABEL} to bind the response to`);
  }
  return verifyTarget(
    { kind: 'response', response: res, request },
    { headers: res.headers, body: res.body },
    (digest) => [component('@status'), ...contentComponents(res.headers, digest), ...bindingComponents(request)],
    opts.keys,
    opts.guard,
  );
}

export {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  importPublicKeyPem,
  keyFingerprint,
  publicKeyFromRaw,
  publicKeyOf,
  publicKeyToRaw,
  SigningKey,
  KeyFormatError,
} from './keys.js';
