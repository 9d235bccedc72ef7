import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentDigest, verifyContentDigest } from './content-digest.js';
import { keyFingerprint, importPrivateKeyPem, importPublicKeyPem, publicKeyFromRaw, publicKeyToRaw, SigningKey } from './keys.js';
import { buildSignatureBase, readSignatureInputMember, serializeComponentId, type ComponentId, type SignatureTarget } from './signature-base.js';
import { dictMember, isInnerList, parseDictionary, serializeDictionary, serializeMember, type DictMember } from './structured-fields.js';

/**
 * The examples of RFC 9421 (HTTP Message Signatures), reproduced byte for byte: the vectors below are copied from the
 * RFC text as data, in the RFC's own wrapped form (RFC 8792 "\" folding, undone by `unfold`). They live in this test
 * file, not in a module, so the build never ships the RFC's test keys.
 */

/** Undoes RFC 8792 single-backslash line wrapping: a "\" ending a line joins it to the next, whose indent is dropped. */
const unfold = (text: string): string => text.replace(/\\\n[ ]*/g, '');

// ---- RFC 9421 Appendix B.1: example keys ----

/** B.1.4 `test-key-ed25519`. */
const TEST_KEY_ED25519 = {
  publicPem: ['-----BEGIN PUBLIC KEY-----', 'MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=', '-----END PUBLIC KEY-----', ''].join('\n'),
  privatePem: ['-----BEGIN PRIVATE KEY-----', 'MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF', '-----END PRIVATE KEY-----', ''].join('\n'),
  jwk: { kty: 'OKP', crv: 'Ed25519', kid: 'test-key-ed25519', d: 'n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU', x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs' },
} as const;

/** B.1.3 `test-key-ecc-p256` (public half): verifies the request-response examples of §2.4. */
const TEST_KEY_ECC_P256_PUBLIC_PEM = [
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf',
  'w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==',
  '-----END PUBLIC KEY-----',
  '',
].join('\n');

/** B.1.2 `test-key-rsa-pss` (public half): verifies the §2.5 / §3.1 example. */
const TEST_KEY_RSA_PSS_PUBLIC_PEM = [
  '-----BEGIN PUBLIC KEY-----',
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2',
  '+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+',
  'oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq',
  'gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W',
  'Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4',
  'aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI',
  '2wIDAQAB',
  '-----END PUBLIC KEY-----',
  '',
].join('\n');

// ---- RFC 9421 Appendix B.2: test-request ----

/** B.2 `test-request` (POST /foo?param=Value&Pet=dog to example.com). */
const TEST_REQUEST = {
  method: 'POST',
  url: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    Host: 'example.com',
    Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'Content-Type': 'application/json',
    'Content-Digest': unfold('sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+T\\\n  aPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:'),
    'Content-Length': '18',
  },
  body: '{"hello": "world"}',
} as const;

/** B.2.6 "Signing a Request Using ed25519": the signature base. */
const B26_SIGNATURE_BASE = unfold(`"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" \\
  "content-type" "content-length");created=1618884473\\
  ;keyid="test-key-ed25519"`);

/** B.2.6: the Signature-Input and Signature fields, label sig-b26. */
const B26_SIGNATURE_INPUT = unfold(`sig-b26=("date" "@method" "@path" "@authority" \\
  "content-type" "content-length");created=1618884473\\
  ;keyid="test-key-ed25519"`);
const B26_SIGNATURE = unfold(`sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1\\
  u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`);

// ---- RFC 9421 §2.5 / §3.1: the RSA-PSS example over test-request ----

const S25_SIGNATURE_BASE = unfold(`"@method": POST
"@authority": example.com
"@path": /foo
"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX\\
  +TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:
"content-length": 18
"content-type": application/json
"@signature-params": ("@method" "@authority" "@path" \\
  "content-digest" "content-length" "content-type")\\
  ;created=1618884473;keyid="test-key-rsa-pss"`);

const S31_SIGNATURE_INPUT = unfold(`sig1=("@method" "@authority" "@path" \\
  "content-digest" "content-length" "content-type")\\
  ;created=1618884473;keyid="test-key-rsa-pss"`);
const S31_SIGNATURE = unfold(`sig1=:HIbjHC5rS0BYaa9v4QfD4193TORw7u9edguPh0AW3dMq9WImrl\\
  FrCGUDih47vAxi4L2YRZ3XMJc1uOKk/J0ZmZ+wcta4nKIgBkKq0rM9hs3CQyxXGxH\\
  LMCy8uqK488o+9jrptQ+xFPHK7a9sRL1IXNaagCNN3ZxJsYapFj+JXbmaI5rtAdSf\\
  SvzPuBCh+ARHBmWuNo1UzVVdHXrl8ePL4cccqlazIJdC4QEjrF+Sn4IxBQzTZsL9y\\
  9TP5FsZYzHvDqbInkTNigBcE9cKOYNFCn4D/WM7F6TNuZO9EgtzepLWcjTymlHzK7\\
  aXq6Am6sfOrpIC49yXjj3ae6HRalVc/g==:`);

// ---- RFC 9421 §2.4: signing request components in a response ----

/** The request both §2.4 examples answer (test-request, fields in the order §2.4 shows them). */
const S24_REQUEST = TEST_REQUEST;

/** The 503 response of §2.4 (unsigned). */
const S24_RESPONSE = {
  status: 503,
  headers: {
    Date: 'Tue, 20 Apr 2021 02:07:56 GMT',
    'Content-Type': 'application/json',
    'Content-Length': '62',
    'Content-Digest': unfold('sha-512=:0Y6iCBzGg5rZtoXS95Ijz03mslf6KAMCloESHObfwn\\\n  HJDbkkWWQz6PhhU9kxsTbARtY2PTBOzq24uJFpHsMuAg==:'),
  },
  body: '{"busy": true, "message": "Your call is very important to us"}',
} as const;

/** First §2.4 example: the signature base and the ecdsa-p256-sha256 signature (label reqres). */
const S24_BASE_1 = unfold(`"@status": 503
"content-digest": sha-512=:0Y6iCBzGg5rZtoXS95Ijz03mslf6KAMCloESHObf\\
  wnHJDbkkWWQz6PhhU9kxsTbARtY2PTBOzq24uJFpHsMuAg==:
"content-type": application/json
"@authority";req: example.com
"@method";req: POST
"@path";req: /foo
"content-digest";req: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A\\
  2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:
"@signature-params": ("@status" "content-digest" "content-type" \\
  "@authority";req "@method";req "@path";req "content-digest";req)\\
  ;created=1618884479;keyid="test-key-ecc-p256"`);
const S24_SIGNATURE_INPUT_1 = unfold(`reqres=("@status" "content-digest" "content-type" \\
  "@authority";req "@method";req "@path";req "content-digest";req)\\
  ;created=1618884479;keyid="test-key-ecc-p256"`);
const S24_SIGNATURE_1 = unfold(`reqres=:dMT/A/76ehrdBTD/2Xx8QuKV6FoyzEP/I9hdzKN8LQJLNgzU\\
  4W767HK05rx1i8meNQQgQPgQp8wq2ive3tV5Ag==:`);

/** Second §2.4 example (the request was signed too; the response covers all of its components with ;req). */
const S24_BASE_2 = unfold(`"@status": 503
"content-digest": sha-512=:0Y6iCBzGg5rZtoXS95Ijz03mslf6KAMCloESHObf\\
  wnHJDbkkWWQz6PhhU9kxsTbARtY2PTBOzq24uJFpHsMuAg==:
"content-type": application/json
"@authority";req: example.com
"@method";req: POST
"@path";req: /foo
"@query";req: ?param=Value&Pet=dog
"content-digest";req: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A\\
  2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:
"content-type";req: application/json
"content-length";req: 18
"@signature-params": ("@status" "content-digest" "content-type" \\
  "@authority";req "@method";req "@path";req "@query";req \\
  "content-digest";req "content-type";req "content-length";req)\\
  ;created=1618884479;keyid="test-key-ecc-p256"`);
const S24_SIGNATURE_INPUT_2 = unfold(`reqres=("@status" "content-digest" "content-type" \\
  "@authority";req "@method";req "@path";req "@query";req \\
  "content-digest";req "content-type";req "content-length";req)\\
  ;created=1618884479;keyid="test-key-ecc-p256"`);
const S24_SIGNATURE_2 = unfold(`reqres=:C73J41GVKc+TYXbSobvZf0CmNcptRiWN+NY1Or0A36ISg6ym\\
  dRN6ZgR2QfrtopFNzqAyv+CeWrMsNbcV2Ojsgg==:`);

// ---- the tests ----


function signatureInput(field: string, label: string): { components: ComponentId[]; params: DictMember['params'] } {
  const member = dictMember(parseDictionary(field), label);
  if (member === undefined) throw new Error(`no ${label}`);
  const read = readSignatureInputMember(member);
  if ('error' in read) throw new Error(read.error);
  return read;
}

function signatureBytes(field: string, label: string): Buffer {
  const member = dictMember(parseDictionary(field), label);
  if (member === undefined || isInnerList(member) || member.value.type !== 'bytes') throw new Error(`no ${label}`);
  return Buffer.from(member.value.value);
}

function base(field: string, label: string, target: SignatureTarget): string {
  const { components, params } = signatureInput(field, label);
  const built = buildSignatureBase(components, params, target);
  if (!built.ok) throw new Error(built.detail);
  return built.base;
}

const testRequest: SignatureTarget = { kind: 'request', request: TEST_REQUEST };

describe('RFC 9421 B.1.4 test-key-ed25519', () => {
  it('imports from PEM; its public half is the published one, in PEM, JWK and raw form', () => {
    const priv = importPrivateKeyPem(TEST_KEY_ED25519.privatePem);
    const pub = importPublicKeyPem(TEST_KEY_ED25519.publicPem);
    expect(priv.export({ format: 'jwk' })).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: TEST_KEY_ED25519.jwk.d, x: TEST_KEY_ED25519.jwk.x });
    expect(publicKeyToRaw(priv)).toBe(TEST_KEY_ED25519.jwk.x);
    expect(publicKeyToRaw(pub)).toBe(TEST_KEY_ED25519.jwk.x);
    expect(publicKeyFromRaw(TEST_KEY_ED25519.jwk.x).export({ type: 'spki', format: 'pem' })).toBe(TEST_KEY_ED25519.publicPem);
    expect(keyFingerprint(priv)).toBe(keyFingerprint(pub));
    expect(keyFingerprint(pub)).toBe('34571606cb7a0d71'); // sha256sum of the SPKI DER, first 16 hex digits
  });
});

describe('RFC 9421 B.2.6 signing a request using ed25519', () => {
  it('parses the Signature-Input and serializes it back byte for byte', () => {
    expect(serializeDictionary(parseDictionary(B26_SIGNATURE_INPUT))).toBe(B26_SIGNATURE_INPUT);
    expect(serializeDictionary(parseDictionary(B26_SIGNATURE))).toBe(B26_SIGNATURE);
    const { components } = signatureInput(B26_SIGNATURE_INPUT, 'sig-b26');
    expect(components.map(serializeComponentId)).toEqual(['"date"', '"@method"', '"@path"', '"@authority"', '"content-type"', '"content-length"']);
  });

  it('builds the signature base byte for byte from test-request', () => {
    expect(base(B26_SIGNATURE_INPUT, 'sig-b26', testRequest)).toBe(B26_SIGNATURE_BASE);
    expect(B26_SIGNATURE_BASE.endsWith('"test-key-ed25519"')).toBe(true); // no newline after the last line
  });

  it('signs it to the published signature value (Ed25519 is deterministic) and verifies it', () => {
    const key = SigningKey.fromPem('test-key-ed25519', TEST_KEY_ED25519.privatePem);
    const sig = key.sign(Buffer.from(B26_SIGNATURE_BASE, 'ascii'));
    expect(Buffer.from(sig).toString('base64')).toBe('wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==');
    expect(serializeDictionary([['sig-b26', { value: { type: 'bytes', value: sig }, params: [] }]])).toBe(B26_SIGNATURE);

    const pub = importPublicKeyPem(TEST_KEY_ED25519.publicPem);
    const published = signatureBytes(B26_SIGNATURE, 'sig-b26');
    expect(verify(null, Buffer.from(B26_SIGNATURE_BASE, 'ascii'), pub, published)).toBe(true);
    expect(verify(null, Buffer.from(B26_SIGNATURE_BASE.replace('/foo', '/fop'), 'ascii'), pub, published)).toBe(false);
  });
});

describe('RFC 9421 §2.5 and §3.1: the rsa-pss-sha512 example over test-request', () => {
  it('builds the example signature base byte for byte, and the published signature verifies over it', () => {
    const b = base(S31_SIGNATURE_INPUT, 'sig1', testRequest);
    expect(b).toBe(S25_SIGNATURE_BASE);
    const ok = verify(
      'sha512',
      Buffer.from(b, 'ascii'),
      { key: createPublicKey(TEST_KEY_RSA_PSS_PUBLIC_PEM), padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 64 },
      signatureBytes(S31_SIGNATURE, 'sig1'),
    );
    expect(ok).toBe(true);
  });
});

describe('RFC 9421 §2.4: signing request components in a response (";req")', () => {
  const target: SignatureTarget = { kind: 'response', response: S24_RESPONSE, request: S24_REQUEST };
  const ecc = { key: createPublicKey(TEST_KEY_ECC_P256_PUBLIC_PEM), dsaEncoding: 'ieee-p1363' as const };

  it('builds both example bases byte for byte, and the published ecdsa-p256-sha256 signatures verify over them', () => {
    const b1 = base(S24_SIGNATURE_INPUT_1, 'reqres', target);
    expect(b1).toBe(S24_BASE_1);
    expect(verify('sha256', Buffer.from(b1, 'ascii'), ecc, signatureBytes(S24_SIGNATURE_1, 'reqres'))).toBe(true);

    const b2 = base(S24_SIGNATURE_INPUT_2, 'reqres', target);
    expect(b2).toBe(S24_BASE_2);
    expect(verify('sha256', Buffer.from(b2, 'ascii'), ecc, signatureBytes(S24_SIGNATURE_2, 'reqres'))).toBe(true);
    expect(verify('sha256', Buffer.from(b1, 'ascii'), ecc, signatureBytes(S24_SIGNATURE_2, 'reqres'))).toBe(false);
  });

  it('refuses ";req" without the request, and on a request', () => {
    const { components, params } = signatureInput(S24_SIGNATURE_INPUT_1, 'reqres');
    expect(buildSignatureBase(components, params, { kind: 'response', response: S24_RESPONSE })).toMatchObject({ ok: false, reason: 'missing_component' });
    const reqOnly = components.filter((c) => c.params.length > 0);
    expect(buildSignatureBase(reqOnly, params, testRequest)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('the example messages carry Content-Digest values that match their bodies', () => {
    expect(verifyContentDigest(TEST_REQUEST.headers['Content-Digest'], TEST_REQUEST.body, 'sha-512')).toMatchObject({ ok: true });
    expect(verifyContentDigest(S24_RESPONSE.headers['Content-Digest'], S24_RESPONSE.body, 'sha-512')).toMatchObject({ ok: true });
    expect(contentDigest(TEST_REQUEST.body, 'sha-512')).toBe(TEST_REQUEST.headers['Content-Digest']);
  });
});

describe('RFC 9421 §2.1: HTTP field component values', () => {
  // The example fragment of §2.1, as a Node header record (repeated fields as arrays).
  const headers = {
    host: 'www.example.com',
    date: 'Tue, 20 Apr 2021 02:07:56 GMT',
    'x-ows-header': '   Leading and trailing whitespace.',
    'x-obs-fold-header': 'Obsolete\r\n    line folding.',
    'cache-control': ['max-age=60', '   must-revalidate'],
    'example-dict': ' a=1,    b=2;x=1;y=2,   c=(a   b   c)',
    'x-empty-header': '',
  };
  const target: SignatureTarget = { kind: 'request', request: { method: 'GET', url: 'http://www.example.com/', headers } };
  const line = (c: ComponentId): string => {
    const built = buildSignatureBase([c], [], target);
    if (!built.ok) throw new Error(built.detail);
    return built.base.split('\n')[0] as string;
  };

  it('canonicalizes as the RFC shows', () => {
    expect(line({ name: 'host', params: [] })).toBe('"host": www.example.com');
    expect(line({ name: 'date', params: [] })).toBe('"date": Tue, 20 Apr 2021 02:07:56 GMT');
    expect(line({ name: 'x-ows-header', params: [] })).toBe('"x-ows-header": Leading and trailing whitespace.');
    expect(line({ name: 'x-obs-fold-header', params: [] })).toBe('"x-obs-fold-header": Obsolete line folding.');
    expect(line({ name: 'cache-control', params: [] })).toBe('"cache-control": max-age=60, must-revalidate');
    expect(line({ name: 'example-dict', params: [] })).toBe('"example-dict": a=1,    b=2;x=1;y=2,   c=(a   b   c)');
    expect(line({ name: 'x-empty-header', params: [] })).toBe('"x-empty-header": ');
  });

  it('§2.1.2: dictionary members by key', () => {
    const dict = parseDictionary('a=1, b=2;x=1;y=2, c=(a   b    c), d');
    const member = (k: string): string => serializeMember(dictMember(dict, k) as DictMember);
    expect([member('a'), member('d'), member('b'), member('c')]).toEqual(['1', '?1', '2;x=1;y=2', '(a b c)']);
    const k = (key: string): ComponentId => ({ name: 'example-dict', params: [['key', { type: 'string', value: key }]] });
    expect(line(k('b'))).toBe('"example-dict";key="b": 2;x=1;y=2');
    expect(line(k('c'))).toBe('"example-dict";key="c": (a b c)');
    expect(buildSignatureBase([k('z')], [], target)).toMatchObject({ ok: false, reason: 'missing_component' });
  });
});
