import { describe, expect, it } from 'vitest';
import { contentDigest, digestOf, verifyContentDigest } from './content-digest.js';

/** Copied from RFC 9530 (Digest Fields) as data, RFC 8792 "\" folding undone by `unfold`. */
const unfold = (text: string): string => text.replace(/\\\n[ ]*/g, '');

// ---- RFC 9530: Content-Digest examples ----

/** Appendix B.1: `{"hello": "world"}` followed by LF. */
const RFC9530_B1 = { body: '{"hello": "world"}\n', field: 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:' } as const;
/** Appendix B.2: empty content (HEAD). */
const RFC9530_B2 = { body: '', field: 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:' } as const;
/** Appendix B.3: the partial content `"world"}` followed by LF. */
const RFC9530_B3 = { body: '"world"}\n', field: 'sha-256=:jjcgBDWNAtbYUXI37CVG3gRuGOAjaaDRGpIUFsdyepQ=:' } as const;
/** §2: a sha-512 digest of `{"hello": "world"}` followed by LF. */
const RFC9530_S2_SHA512 = {
  body: '{"hello": "world"}\n',
  field: unfold('sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCs\\\n  yRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:'),
} as const;

describe('Content-Digest (RFC 9530)', () => {
  it('computes the RFC examples (sha-256 of content, including empty and partial content)', () => {
    for (const v of [RFC9530_B1, RFC9530_B2, RFC9530_B3]) expect(contentDigest(v.body)).toBe(v.field);
    expect(contentDigest(RFC9530_S2_SHA512.body, 'sha-512')).toBe(RFC9530_S2_SHA512.field);
  });

  it('verifies the RFC examples', () => {
    for (const v of [RFC9530_B1, RFC9530_B2, RFC9530_B3]) expect(verifyContentDigest(v.field, v.body)).toEqual({ ok: true, checked: ['sha-256'] });
    expect(verifyContentDigest(RFC9530_S2_SHA512.field, RFC9530_S2_SHA512.body, 'sha-512')).toEqual({ ok: true, checked: ['sha-512'] });
  });

  it('digests bytes as given: a string is UTF-8, a byte array is taken as is (a compressed body is digested compressed)', () => {
    expect(contentDigest('水位')).toBe(contentDigest(new Uint8Array(Buffer.from('水位', 'utf8'))));
    const gz = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00]);
    expect(verifyContentDigest(contentDigest(gz), gz)).toMatchObject({ ok: true });
    expect(digestOf(gz)).toHaveLength(32);
  });

  it('checks every sha-256 / sha-512 member present and ignores algorithms it does not know', () => {
    const body = RFC9530_S2_SHA512.body;
    const both = `${contentDigest(body)}, ${contentDigest(body, 'sha-512')}`;
    expect(verifyContentDigest(both, body)).toEqual({ ok: true, checked: ['sha-256', 'sha-512'] });
    expect(verifyContentDigest(`unixsum=30637, ${contentDigest(body)}`, body)).toMatchObject({ ok: true });
    // A wrong sha-512 beside a right sha-256 is still a mismatch.
    expect(verifyContentDigest(`${contentDigest(body)}, ${contentDigest('other', 'sha-512')}`, body)).toMatchObject({ ok: false, reason: 'digest_mismatch' });
  });

  it('refuses a changed body, a missing required algorithm, and what does not parse', () => {
    expect(verifyContentDigest(RFC9530_B1.field, '{"hello": "World"}\n')).toMatchObject({ ok: false, reason: 'digest_mismatch' });
    expect(verifyContentDigest(RFC9530_B1.field, '')).toMatchObject({ ok: false, reason: 'digest_mismatch' });
    expect(verifyContentDigest(RFC9530_S2_SHA512.field, RFC9530_S2_SHA512.body)).toMatchObject({ ok: false, reason: 'digest_mismatch', detail: 'Content-Digest: no sha-256 digest' });
    expect(verifyContentDigest('md5=:1B2M2Y8AsgTpgAmY7PhCfg==:', '')).toMatchObject({ ok: false, reason: 'digest_mismatch' });
    for (const bad of ['sha-256=X48E9q', 'sha-256="abc"', 'sha-256=:AAAA:', 'sha-256=:not base64!:', 'SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:', `${RFC9530_B1.field}, ${RFC9530_B1.field}`]) {
      expect(verifyContentDigest(bad, RFC9530_B1.body), bad).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });
});
