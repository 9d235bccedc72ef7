import { describe, expect, it } from 'vitest';
import { buildSignatureBase, component, fieldValue, serializeComponentId, serializeSignatureParams, type SignatureTarget } from './signature-base.js';
import { sfInteger, sfString, sfToken } from './structured-fields.js';

const request = (url: string, method = 'GET', headers: Record<string, string | string[]> = {}): SignatureTarget => ({
  kind: 'request',
  request: { method, url, headers },
});

function value(name: string, target: SignatureTarget): string {
  const built = buildSignatureBase([component(name)], [], target);
  if (!built.ok) throw new Error(built.detail);
  return built.base.slice(built.base.indexOf(': ') + 2, built.base.indexOf('\n'));
}

describe('derived components (RFC 9421 §2.2 examples)', () => {
  it('@method keeps its case; @target-uri, @authority, @scheme, @path and @query come from the URL', () => {
    const t = request('https://www.example.com/path?param=value', 'POST');
    expect(value('@method', t)).toBe('POST');
    expect(value('@method', request('https://x/', 'patch'))).toBe('patch');
    expect(value('@target-uri', t)).toBe('https://www.example.com/path?param=value');
    expect(value('@authority', t)).toBe('www.example.com');
    expect(value('@scheme', t)).toBe('https');
    expect(value('@path', t)).toBe('/path');
    expect(value('@query', request('https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman'))).toBe('?param=value&foo=bar&baz=bat%2Dman');
    expect(value('@query', request('https://www.example.com/path?queryString'))).toBe('?queryString');
    expect(value('@query', request('https://www.example.com/path'))).toBe('?');
  });

  it('normalizes the authority (lowercase host, default port dropped) and an empty path to "/"', () => {
    expect(value('@authority', request('HTTP://Hub.Example:80'))).toBe('hub.example');
    expect(value('@authority', request('https://hub.example:443/x'))).toBe('hub.example');
    expect(value('@authority', request('http://hub.example:8080/x'))).toBe('hub.example:8080');
    expect(value('@authority', request('http://[::1]:8080/x'))).toBe('[::1]:8080');
    expect(value('@path', request('http://hub.example'))).toBe('/');
    expect(value('@path', request('http://hub.example/a%20b/%E6%B0%B4'))).toBe('/a%20b/%E6%B0%B4');
  });

  it('@status is the three digits of a response', () => {
    const res: SignatureTarget = { kind: 'response', response: { status: 200, headers: {} } };
    expect(value('@status', res)).toBe('200');
    expect(buildSignatureBase([component('@status')], [], request('http://x/'))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(buildSignatureBase([component('@method')], [], res)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('field values', () => {
  it('are found case-insensitively in a record or a WHATWG Headers, repeated values joined with ", "', () => {
    const h = new Headers();
    h.append('X-Thing', 'a');
    h.append('x-thing', 'b');
    expect(fieldValue(h, 'X-THING')).toBe('a, b');
    expect(fieldValue({ 'X-Thing': ['a', ' b '] }, 'x-thing')).toBe('a, b');
    expect(fieldValue({ 'content-length': 18 }, 'Content-Length')).toBe('18');
    expect(fieldValue({}, 'x-thing')).toBeUndefined();
    expect(fieldValue(new Headers(), 'x-thing')).toBeUndefined();
  });
});

describe('the signature base (RFC 9421 §2.5)', () => {
  const t = request('http://hub.example:8080/api/v1/sync/ingest', 'POST', { 'Content-Type': 'application/json' });

  it('puts one line per component and the @signature-params line last, without a newline after it', () => {
    const built = buildSignatureBase([component('@method'), component('content-type')], [['created', sfInteger(1)], ['keyid', sfString('k')]], t);
    expect(built).toEqual({
      ok: true,
      base: '"@method": POST\n"content-type": application/json\n"@signature-params": ("@method" "content-type");created=1;keyid="k"',
      signatureParams: '("@method" "content-type");created=1;keyid="k"',
    });
  });

  it('serializes component identifiers with their parameters', () => {
    expect(serializeComponentId(component('signature-input', { req: true, key: 'sig1' }))).toBe('"signature-input";req;key="sig1"');
    expect(serializeSignatureParams([], [['created', sfInteger(1618884473)]])).toBe('();created=1618884473');
  });

  it('refuses what §2.5 says must fail', () => {
    const cases: Array<[string, Parameters<typeof buildSignatureBase>[0], 'malformed' | 'missing_component']> = [
      ['a component twice', [component('@method'), component('@method')], 'malformed'],
      ['the same identifier with its parameters in another order', [{ name: 'x-d', params: [['key', sfString('a')], ['req', { type: 'boolean', value: true }]] }, { name: 'x-d', params: [['req', { type: 'boolean', value: true }], ['key', sfString('a')]] }], 'malformed'],
      ['@signature-params listed', [component('@signature-params')], 'malformed'],
      ['an unknown derived component', [component('@nonsense')], 'malformed'],
      ['@query-param (not supported)', [component('@query-param')], 'malformed'],
      ['an unsupported component parameter', [{ name: 'content-type', params: [['sf', { type: 'boolean', value: true }]] }], 'malformed'],
      ['a parameter of the wrong type', [{ name: 'content-type', params: [['key', sfToken('a')]] }], 'malformed'],
      ['";key" on a derived component', [component('@method', { key: 'a' })], 'malformed'],
      ['";req" in a request', [component('@method', { req: true })], 'malformed'],
      ['an uppercase field name', [component('Content-Type')], 'malformed'],
      ['a field the message lacks', [component('content-digest')], 'missing_component'],
      ['";key" on a field that is not a dictionary', [component('content-type', { key: 'a' })], 'malformed'],
    ];
    for (const [what, components, reason] of cases) {
      expect(buildSignatureBase(components, [], t), what).toMatchObject({ ok: false, reason });
    }
  });

  it('refuses values a base cannot hold: non-ASCII, newlines, an unparsable URL, bad parameters', () => {
    expect(buildSignatureBase([component('x-name')], [], request('http://x/', 'GET', { 'x-name': 'caf\u00e9' }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(buildSignatureBase([component('x-name')], [], request('http://x/', 'GET', { 'x-name': 'a\nb' }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(buildSignatureBase([component('@method')], [], request('http://x/', 'GET /x'))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(buildSignatureBase([component('@path')], [], request('not a url'))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(buildSignatureBase([], [['keyid', sfString('水')]], t)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
