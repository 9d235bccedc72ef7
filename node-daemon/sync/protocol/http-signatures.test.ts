import { generateKeyPairSync, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  exportPublicKeyPem,
  importPrivateKeyPem,
  importPublicKeyPem,
  KeyFormatError,
  keyFingerprint,
  publicKeyFromRaw,
  publicKeyToRaw,
  SIGNATURE_TAG,
  signRequest,
  signResponse,
  SigningKey,
  verifyRequest,
  verifyResponse,
  type SignableRequest,
  type SignableResponse,
} from './http-signatures.js';
import { REFUSAL_REASONS } from './refusal.js';
import { clockOffsetFromExchange, ReplayGuard } from './replay-guard.js';
import { buildSignatureBase, component, type ComponentId, type SignatureTarget } from './signature-base.js';
import { item, serializeDictionary, sfBytes, sfInteger, sfString, type Parameters } from './structured-fields.js';

const T0 = 1_765_000_000_000;
const S0 = T0 / 1000;
const HUB = 'http://hub.example:8080';
const INGEST = `${HUB}/api/v1/sync/ingest`;

const boxKey = SigningKey.generate('xiaoshan-01');
const countyKey = SigningKey.generate('county');
const keysAtHub = new Map([['xiaoshan-01', boxKey.publicKey]]);
const keysAtBox = new Map([['county', countyKey.publicKey]]);

let now = T0;
const clock = (): number => now;
let hubGuard: ReplayGuard;
beforeEach(() => {
  now = T0;
  hubGuard = new ReplayGuard(clock);
});

const body = '{"box":"xiaoshan-01","batch":77,"lanes":[]}';

/** A request as sent: plain header record. */
type Sent = Omit<SignableRequest, 'headers'> & { headers: Record<string, string> };

/** A request as the box sends it: its headers plus the signature fields. */
function signed(req: SignableRequest, key = boxKey, extra: { expiresInSec?: number } = {}): Sent {
  const s = signRequest(req, { key, now: clock, ...extra });
  return { ...req, headers: { ...(req.headers as Record<string, string>), ...s.headers } };
}

const ingest = (): Sent =>
  signed({ method: 'POST', url: INGEST, headers: { 'content-type': 'application/json' }, body });

const atHub = (req: SignableRequest) => verifyRequest(req, { keys: keysAtHub, guard: hubGuard });

/** Signs a message outside the profile (another tag, another alg, fewer components), as an attacker or a bug would. */
function signAs(key: SigningKey, components: ComponentId[], params: Parameters, target: SignatureTarget): Record<string, string> {
  const built = buildSignatureBase(components, params, target);
  if (!built.ok) throw new Error(built.detail);
  return {
    'signature-input': `sig1=${built.signatureParams}`,
    signature: serializeDictionary([['sig1', item(sfBytes(key.sign(Buffer.from(built.base))))]]),
  };
}

const params = (over: Record<string, string | number> = {}): Parameters =>
  Object.entries({ created: S0, keyid: 'xiaoshan-01', nonce: 'abcdefghijklmnopqrstuv', alg: 'ed25519', tag: SIGNATURE_TAG, ...over }).map(
    ([k, v]) => [k, typeof v === 'number' ? sfInteger(v) : sfString(v)] as const,
  );

describe('signing a request', () => {
  it('adds Content-Digest, Signature-Input and Signature as the profile says', () => {
    const s = signRequest(
      { method: 'POST', url: INGEST, headers: { 'Content-Type': 'application/json' }, body },
      { key: boxKey, now: () => T0 + 999, nonce: 'n0nce-n0nce-n0nce-n0nce' },
    );
    expect(s.headers['content-digest']).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/);
    expect(s.headers['signature-input']).toBe(
      'sig1=("@method" "@authority" "@path" "content-digest" "content-type");created=1765000000;keyid="xiaoshan-01";nonce="n0nce-n0nce-n0nce-n0nce";alg="ed25519";tag="fenghuo-sync"',
    );
    expect(s.base).toBe(
      [
        '"@method": POST',
        '"@authority": hub.example:8080',
        '"@path": /api/v1/sync/ingest',
        `"content-digest": ${s.headers['content-digest']}`,
        '"content-type": application/json',
        `"@signature-params": ${s.headers['signature-input'].slice('sig1='.length)}`,
      ].join('\n'),
    );
    expect(s.headers.signature).toMatch(/^sig1=:[A-Za-z0-9+/]{86}==:$/);
    const sig = Buffer.from(s.headers.signature.slice(6, -1), 'base64');
    expect(verify(null, Buffer.from(s.base), boxKey.publicKey, sig)).toBe(true);
  });

  it('covers @query only when there is one, content-digest only with a body, and expires when asked', () => {
    const get = signRequest({ method: 'GET', url: `${HUB}/api/v1/sync/orders?after=12&waitS=25`, headers: {} }, { key: boxKey, now: clock, expiresInSec: 60 });
    expect(get.headers['content-digest']).toBeUndefined();
    expect(get.headers['signature-input']).toMatch(/^sig1=\("@method" "@authority" "@path" "@query"\);created=1765000000;expires=1765000060;keyid=/);
    const empty = signRequest({ method: 'POST', url: INGEST, headers: {}, body: '' }, { key: boxKey, now: clock });
    expect(empty.headers['signature-input']).toMatch(/^sig1=\("@method" "@authority" "@path"\);/);
  });

  it('covers a Content-Digest given without a body, which the verifier then checks against the empty body', () => {
    const empty = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
    const req = signed({ method: 'POST', url: INGEST, headers: { 'content-digest': `sha-256=:${empty}:` } });
    expect(req.headers['signature-input']).toContain('"content-digest"');
    expect(atHub(req)).toMatchObject({ ok: true });
    const wrong = signed({ method: 'POST', url: INGEST, headers: { 'content-digest': 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:' } });
    expect(atHub(wrong)).toMatchObject({ ok: false, reason: 'digest_mismatch' });
  });

  it('covers Content-Encoding when the body is encoded (the digest is over the bytes sent)', () => {
    const gz = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]);
    const req = signed({ method: 'POST', url: INGEST, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gz });
    expect(req.headers['signature-input']).toContain('"content-digest" "content-type" "content-encoding"');
    expect(atHub(req)).toMatchObject({ ok: true });
    expect(atHub({ ...req, headers: { ...req.headers, 'content-encoding': 'br' } })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('uses a fresh 128-bit nonce each time', () => {
    const a = signRequest({ method: 'GET', url: HUB, headers: {} }, { key: boxKey, now: clock });
    const b = signRequest({ method: 'GET', url: HUB, headers: {} }, { key: boxKey, now: clock });
    expect(a.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.nonce).not.toBe(b.nonce);
  });
});

describe('verifying a request', () => {
  it('accepts a good one and says who signed it and what it covered', () => {
    const req = ingest();
    expect(atHub(req)).toEqual({
      ok: true,
      keyid: 'xiaoshan-01',
      created: S0,
      nonce: expect.any(String),
      covered: ['"@method"', '"@authority"', '"@path"', '"content-digest"', '"content-type"'],
    });
  });

  it('reads WHATWG Headers and a byte body, as a fetch-style server gets them', () => {
    const req = ingest();
    const asServerSees: SignableRequest = {
      method: 'POST',
      url: new URL('/api/v1/sync/ingest', 'http://HUB.example:8080'),
      headers: new Headers(Object.entries(req.headers).map(([k, v]) => [k.toUpperCase(), v])),
      body: new Uint8Array(Buffer.from(body)),
    };
    expect(atHub(asServerSees)).toMatchObject({ ok: true, keyid: 'xiaoshan-01' });
  });

  it('takes the keys as a function too', () => {
    expect(verifyRequest(ingest(), { keys: (id) => (id === 'xiaoshan-01' ? boxKey.publicKey : undefined), guard: hubGuard })).toMatchObject({ ok: true });
  });

  describe('refuses a tampered request, naming why', () => {
    const cases: Array<[string, (r: ReturnType<typeof ingest>) => SignableRequest, string]> = [
      ['another path', (r) => ({ ...r, url: `${HUB}/api/v1/sync/enroll` }), 'bad_signature'],
      ['another method', (r) => ({ ...r, method: 'PUT' }), 'bad_signature'],
      ['another authority', (r) => ({ ...r, url: 'http://evil.example:8080/api/v1/sync/ingest' }), 'bad_signature'],
      ['a query added', (r) => ({ ...r, url: `${INGEST}?x=1` }), 'missing_component'],
      ['another body of the same length', (r) => ({ ...r, body: body.replace('77', '78') }), 'digest_mismatch'],
      ['the body dropped', (r) => ({ ...r, body: undefined }), 'digest_mismatch'],
      ['another body with its own Content-Digest', (r) => ({ ...r, body: '{}', headers: { ...r.headers, 'content-digest': 'sha-256=:RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=:' } }), 'bad_signature'],
      ['another Content-Type', (r) => ({ ...r, headers: { ...r.headers, 'content-type': 'text/plain' } }), 'bad_signature'],
      ['Content-Type removed', (r) => ({ ...r, headers: { ...r.headers, 'content-type': undefined } as unknown as Record<string, string> }), 'missing_component'],
      ['an unsigned Content-Encoding added', (r) => ({ ...r, headers: { ...r.headers, 'content-encoding': 'gzip' } }), 'missing_component'],
      ['created changed', (r) => ({ ...r, headers: { ...r.headers, 'signature-input': r.headers['signature-input']!.replace(`created=${S0}`, `created=${S0 + 1}`) } }), 'bad_signature'],
      ['the nonce changed', (r) => ({ ...r, headers: { ...r.headers, 'signature-input': r.headers['signature-input']!.replace(/nonce="./, 'nonce="x') } }), 'bad_signature'],
      ['the signature changed', (r) => ({ ...r, headers: { ...r.headers, signature: r.headers.signature!.replace(/:(.)/, (_, c: string) => `:${c === 'A' ? 'B' : 'A'}`) } }), 'bad_signature'],
      ['a covered component dropped', (r) => ({ ...r, headers: { ...r.headers, 'signature-input': r.headers['signature-input']!.replace(' "content-type"', '') } }), 'missing_component'],
      ['the tag changed', (r) => ({ ...r, headers: { ...r.headers, 'signature-input': r.headers['signature-input']!.replace(SIGNATURE_TAG, 'other-app') } }), 'bad_signature'],
      ['no signature at all', (r) => ({ ...r, headers: { 'content-type': 'application/json', 'content-digest': r.headers['content-digest']! } }), 'missing_component'],
      ['the signature relabelled', (r) => ({ ...r, headers: { ...r.headers, 'signature-input': r.headers['signature-input']!.replace('sig1=', 'sig2='), signature: r.headers.signature!.replace('sig1=', 'sig2=') } }), 'missing_component'],
      ['Signature without Signature-Input', (r) => ({ ...r, headers: { ...r.headers, 'signature-input': undefined } as unknown as Record<string, string> }), 'malformed'],
      ['a Signature-Input that does not parse', (r) => ({ ...r, headers: { ...r.headers, 'signature-input': 'sig1=("@method"' } }), 'malformed'],
      ['a short signature', (r) => ({ ...r, headers: { ...r.headers, signature: 'sig1=:AAAA:' } }), 'malformed'],
    ];
    for (const [what, tamper, reason] of cases) {
      it(what, () => {
        const genuine = ingest();
        expect(atHub(tamper(genuine))).toMatchObject({ ok: false, reason });
        // A refused forgery uses up nothing: the genuine request is still accepted once.
        expect(atHub(genuine)).toMatchObject({ ok: true });
      });
    }
  });

  it('refuses a replay', () => {
    const req = ingest();
    expect(atHub(req)).toMatchObject({ ok: true });
    expect(atHub(req)).toMatchObject({ ok: false, reason: 'replayed', keyid: 'xiaoshan-01' });
  });

  it('refuses a signature too old, from the future, or expired', () => {
    const req = ingest();
    now = T0 + 301_000;
    expect(atHub(req)).toMatchObject({ ok: false, reason: 'too_old' });
    now = T0 - 301_000;
    expect(atHub(req)).toMatchObject({ ok: false, reason: 'from_future' });
    now = T0;
    const short = signed({ method: 'GET', url: `${HUB}/api/v1/sync/orders?after=1`, headers: {} }, boxKey, { expiresInSec: 10 });
    now = T0 + 10_000;
    expect(atHub(short)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses a body added to a request signed without one', () => {
    const get = signed({ method: 'GET', url: `${HUB}/api/v1/sync/orders?after=1`, headers: {} });
    expect(atHub({ ...get, body: 'surprise' })).toMatchObject({ ok: false, reason: 'missing_component' });
  });

  it('refuses a wrong key, an unknown key, and a known key id with a key that is not Ed25519', () => {
    const impostor = SigningKey.generate('xiaoshan-01');
    expect(atHub(signed({ method: 'POST', url: INGEST, headers: { 'content-type': 'application/json' }, body }, impostor))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
      keyid: 'xiaoshan-01',
    });
    expect(atHub(signed({ method: 'GET', url: HUB, headers: {} }, SigningKey.generate('stranger')))).toMatchObject({ ok: false, reason: 'unknown_key', keyid: 'stranger' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(verifyRequest(ingest(), { keys: new Map([['xiaoshan-01', rsa]]), guard: hubGuard })).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('refuses signatures made outside the profile: another tag, another alg, no tag, a missing component, junk parameters', () => {
    const req: SignableRequest = { method: 'GET', url: HUB, headers: {} };
    const target: SignatureTarget = { kind: 'request', request: req };
    const base = [component('@method'), component('@authority'), component('@path')];
    const tryWith = (components: ComponentId[], p: Parameters) => atHub({ ...req, headers: signAs(boxKey, components, p, target) });

    expect(tryWith(base, params())).toMatchObject({ ok: true });
    expect(tryWith(base, params({ tag: 'fenghuo-firmware' }))).toMatchObject({ ok: false, reason: 'bad_signature', detail: expect.stringContaining('tag') });
    expect(tryWith(base, params({ alg: 'hmac-sha256', nonce: 'another-nonce-abcdefg' }))).toMatchObject({ ok: false, reason: 'bad_signature', detail: expect.stringContaining('alg') });
    expect(tryWith(base, params().filter(([k]) => k !== 'tag'))).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(tryWith(base.slice(0, 2), params({ nonce: 'yet-another-nonce-abcd' }))).toMatchObject({ ok: false, reason: 'missing_component', detail: '"@path" is not covered' });
    expect(tryWith(base, params().filter(([k]) => k !== 'created'))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(tryWith(base, params({ nonce: 'short' }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(tryWith(base, [...params({ nonce: 'nonce-with-extra-param' }), ['context', sfString('x')]])).toMatchObject({ ok: false, reason: 'malformed' });
    expect(tryWith(base, [...params({ nonce: 'nonce-expires-too-early' }), ['expires', sfInteger(S0 - 1)]])).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('responses', () => {
  /** The hub's side: verify the request, answer it, sign the answer bound to it. */
  function hubAnswers(req: SignableRequest, res: SignableResponse): Omit<SignableResponse, 'headers'> & { headers: Record<string, string> } {
    const s = signResponse(res, req, { key: countyKey, now: clock });
    return { ...res, headers: { ...(res.headers as Record<string, string>), ...s.headers } };
  }
  const ok200 = (): SignableResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"acked":{"alarm":1041},"hubTime":1765000000123}' });

  it('a response is bound to the request it answers and verifies against it', () => {
    const req = ingest();
    expect(atHub(req)).toMatchObject({ ok: true });
    const res = hubAnswers(req, ok200());
    expect(res.headers['signature-input']).toMatch(
      /^sig1=\("@status" "content-digest" "content-type" "@method";req "@authority";req "@path";req "content-digest";req "signature-input";req;key="sig1"\);created=\d+;keyid="county";nonce="[^"]+";alg="ed25519";tag="fenghuo-sync"$/,
    );
    expect(verifyResponse(res, req, { keys: keysAtBox })).toMatchObject({ ok: true, keyid: 'county', created: S0 });
  });

  it('refuses a response to another request, even one to the same path with the same body', () => {
    const first = ingest();
    const second = ingest();
    const res = hubAnswers(first, ok200());
    expect(verifyResponse(res, second, { keys: keysAtBox })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a tampered response', () => {
    const req = ingest();
    const res = hubAnswers(req, ok200());
    expect(verifyResponse({ ...res, status: 409 }, req, { keys: keysAtBox })).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(verifyResponse({ ...res, body: res.body!.toString().replace('1041', '1042') }, req, { keys: keysAtBox })).toMatchObject({ ok: false, reason: 'digest_mismatch' });
    expect(verifyResponse(res, req, { keys: keysAtHub })).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('refuses a response not bound to its request, and a request that cannot be bound to', () => {
    const req = ingest();
    const target: SignatureTarget = { kind: 'response', response: ok200(), request: req };
    const unbound = { ...ok200(), headers: { 'content-type': 'application/json', ...signAs(countyKey, [component('@status'), component('content-type')], params({ keyid: 'county' }), target) } };
    expect(verifyResponse(unbound, req, { keys: keysAtBox })).toMatchObject({ ok: false, reason: 'missing_component' });
    const { 'signature-input': _si, ...unsignedReq } = req.headers;
    expect(verifyResponse(hubAnswers(req, ok200()), { ...req, headers: unsignedReq }, { keys: keysAtBox })).toMatchObject({ ok: false, reason: 'missing_component' });
  });

  it('checks the window and the nonce of a response when given a guard', () => {
    const req = ingest();
    const res = hubAnswers(req, ok200());
    const boxGuard = new ReplayGuard(clock);
    expect(verifyResponse(res, req, { keys: keysAtBox, guard: boxGuard })).toMatchObject({ ok: true });
    expect(verifyResponse(res, req, { keys: keysAtBox, guard: boxGuard })).toMatchObject({ ok: false, reason: 'replayed' });
    now = T0 + 400_000;
    expect(verifyResponse(res, req, { keys: keysAtBox, guard: new ReplayGuard(clock) })).toMatchObject({ ok: false, reason: 'too_old' });
  });

  it('a box that boots with a wrong clock learns the hub time from a signed refusal and then gets through', () => {
    // The box has no RTC: it thinks it is 2000-01-01. The hub is at T0.
    const boxLocal = 946_684_800_000;
    let boxNow = boxLocal;
    let offset = 0;
    const boxClock = (): number => boxNow + offset;
    const send = (): Sent => {
      const req: SignableRequest = { method: 'POST', url: INGEST, headers: { 'content-type': 'application/json' }, body };
      return { ...req, headers: { 'content-type': 'application/json', ...signRequest(req, { key: boxKey, now: boxClock }).headers } };
    };

    const sentAt = boxNow;
    const first = send();
    const refused = atHub(first);
    expect(refused).toMatchObject({ ok: false, reason: 'too_old' });
    const answer = hubAnswers(first, { status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":{"code":"too_old"}}' });
    boxNow += 800; // the round trip
    const v = verifyResponse(answer, first, { keys: keysAtBox });
    expect(v).toMatchObject({ ok: true });
    if (!v.ok) return;
    const learned = clockOffsetFromExchange({ sentAtMs: sentAt, receivedAtMs: boxNow, peerCreatedSec: v.created });
    expect(Math.abs(boxLocal + learned.offsetMs - T0)).toBeLessThanOrEqual(learned.uncertaintyMs);
    offset = learned.offsetMs;
    expect(atHub(send())).toMatchObject({ ok: true });
  });
});

describe('the worked example of docs/sync-signatures.md (RFC 9421 test-key-ed25519 as both keys)', () => {
  const pem = ['-----BEGIN PRIVATE KEY-----', 'MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF', '-----END PRIVATE KEY-----', ''].join('\n');
  const box = SigningKey.fromPem('xiaoshan-01', pem);
  const county = SigningKey.fromPem('county', pem);
  const req: SignableRequest = { method: 'POST', url: INGEST, headers: { 'content-type': 'application/json' }, body };
  const resBody = '{"acked":{"alarm":1041},"hubTime":1765000000123}';

  it('signs the request and its response exactly as documented, and both verify', () => {
    const s = signRequest(req, { key: box, now: () => T0, nonce: 'kT3sP9vXq2LmN8wYc4RbJA' });
    expect(s.headers).toEqual({
      'content-digest': 'sha-256=:7YDNVUP9OP5hOmTSMXv9FFvXlwB2JRv5K9jo24LNYvQ=:',
      'signature-input':
        'sig1=("@method" "@authority" "@path" "content-digest" "content-type");created=1765000000;keyid="xiaoshan-01";nonce="kT3sP9vXq2LmN8wYc4RbJA";alg="ed25519";tag="fenghuo-sync"',
      signature: 'sig1=:9LPu5L8OgLlqJQ9v7bSiW1YxeE5u/HFeq0QUcPr/sLbh5OFzlB5x3sdTYo3KpX2GAxpdT2LUIeh+QdHdQCTNBA==:',
    });
    const sent = { ...req, headers: { 'content-type': 'application/json', ...s.headers } };
    expect(verifyRequest(sent, { keys: new Map([['xiaoshan-01', box.publicKey]]), guard: hubGuard })).toMatchObject({ ok: true });

    const r = signResponse({ status: 200, headers: { 'content-type': 'application/json' }, body: resBody }, sent, { key: county, now: () => T0 + 123, nonce: 'Vb7Qm2xL9pRt4sWk8nYcZA' });
    expect(r.base.split('\n')).toEqual([
      '"@status": 200',
      '"content-digest": sha-256=:fx8w+HNurqoOq3l3j2IhANpJPyLdy24aZXqxEWP0w+Q=:',
      '"content-type": application/json',
      '"@method";req: POST',
      '"@authority";req: hub.example:8080',
      '"@path";req: /api/v1/sync/ingest',
      '"content-digest";req: sha-256=:7YDNVUP9OP5hOmTSMXv9FFvXlwB2JRv5K9jo24LNYvQ=:',
      '"signature-input";req;key="sig1": ("@method" "@authority" "@path" "content-digest" "content-type");created=1765000000;keyid="xiaoshan-01";nonce="kT3sP9vXq2LmN8wYc4RbJA";alg="ed25519";tag="fenghuo-sync"',
      '"@signature-params": ("@status" "content-digest" "content-type" "@method";req "@authority";req "@path";req "content-digest";req "signature-input";req;key="sig1");created=1765000000;keyid="county";nonce="Vb7Qm2xL9pRt4sWk8nYcZA";alg="ed25519";tag="fenghuo-sync"',
    ]);
    expect(r.headers.signature).toBe('sig1=:EHcq1ow7iswzdc8TGUSqsrLLA4CufRz8vQcXU8cuZvIqOERXdnrGG0Mdvo1NCnmesqa21CAt3MAWJ3AlbZiNBg==:');
    const got = { status: 200, headers: { 'content-type': 'application/json', ...r.headers }, body: resBody };
    expect(verifyResponse(got, sent, { keys: new Map([['county', county.publicKey]]) })).toMatchObject({
      ok: true,
      covered: ['"@status"', '"content-digest"', '"content-type"', '"@method";req', '"@authority";req', '"@path";req', '"content-digest";req', '"signature-input";req;key="sig1"'],
    });
  });
});

describe('keys', () => {
  it('round-trips PEM (PKCS#8 private, SPKI public) and the raw base64url public key', () => {
    const k = SigningKey.generate('box-1');
    const again = SigningKey.fromPem('box-1', k.exportPrivateKeyPem());
    expect(again.fingerprint).toBe(k.fingerprint);
    expect(k.exportPrivateKeyPem()).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const pem = exportPublicKeyPem(k.publicKey);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(exportPublicKeyPem(importPublicKeyPem(pem))).toBe(pem);
    const raw = publicKeyToRaw(k.publicKey);
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(exportPublicKeyPem(publicKeyFromRaw(` ${raw}\n`))).toBe(pem);
    expect(keyFingerprint(publicKeyFromRaw(raw))).toBe(k.fingerprint);
    expect(k.fingerprint).not.toBe(SigningKey.generate('box-1').fingerprint);
  });

  it('never prints the secret key: JSON, String, inspect and errors show the key id and fingerprint only', () => {
    const k = SigningKey.generate('box-1');
    const secret = k.exportPrivateKeyPem().split('\n')[1] as string;
    const shown = [JSON.stringify({ k }), String(k), `${k}`, inspect(k), inspect({ nested: { k } }, { depth: 5 })];
    for (const s of shown) {
      expect(s).toContain('box-1');
      expect(s).not.toContain(secret);
      expect(s).not.toMatch(/PRIVATE/);
    }
    expect(JSON.parse(JSON.stringify(k))).toEqual({ keyid: 'box-1', fingerprint: k.fingerprint });
    try {
      importPrivateKeyPem(`${k.exportPrivateKeyPem()}garbage`.replace('PRIVATE KEY', 'PRIVATE KEX'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KeyFormatError);
      expect(String(e)).not.toContain(secret);
    }
  });

  it('refuses what is not an Ed25519 key of the right kind', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => importPrivateKeyPem(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(KeyFormatError);
    expect(() => importPublicKeyPem(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(KeyFormatError);
    expect(() => importPublicKeyPem(SigningKey.generate('x').exportPrivateKeyPem())).toThrow(KeyFormatError);
    expect(() => publicKeyFromRaw('too-short')).toThrow(KeyFormatError);
    expect(() => publicKeyFromRaw('A'.repeat(44))).toThrow(KeyFormatError);
    expect(() => new SigningKey('has space', SigningKey.generate('x') && generateKeyPairSync('ed25519').privateKey)).toThrow(KeyFormatError);
    expect(() => SigningKey.generate('')).toThrow(KeyFormatError);
  });
});

describe('refusal codes', () => {
  it('are the fixed list the hub and the box count', () => {
    expect(REFUSAL_REASONS).toEqual(['malformed', 'missing_component', 'unknown_key', 'bad_signature', 'digest_mismatch', 'too_old', 'from_future', 'expired', 'replayed', 'replay_cache_full']);
  });
});
