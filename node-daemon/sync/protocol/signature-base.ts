import {
  innerList,
  isInnerList,
  item,
  parseDictionary,
  serializeInnerList,
  serializeMember,
  serializeParams,
  serializeString,
  sfBoolean,
  sfString,
  StructuredFieldError,
  dictMember,
  type BareItem,
  type DictMember,
  type InnerList,
  type Parameters,
} from './structured-fields.js';

/**
 * The signature base of HTTP Message Signatures (RFC 9421 §2.5), built from covered component identifiers, signature
 * parameters and the message. Pure: no crypto, no I/O. The profile (which components, which parameters) and the
 * crypto live in http-signatures.ts; this file is the generic, RFC-exact part.
 *
 * Derived components understood: `@method`, `@target-uri`, `@authority`, `@scheme`, `@path`, `@query` (requests) and
 * `@status` (responses). Component parameters understood: `req` (a response signature covering a component of the
 * request it answers, §2.4) and `key` (one member of a Dictionary field, §2.1.2). Anything else (`sf`, `bs`, `tr`,
 * `@query-param`, `@request-target`, unknown names) is an error, as §2.5 requires for what is not understood.
 *
 * The request URL is read with the WHATWG URL parser, on both sides: `@authority` is its `host` (lowercase, default
 * port dropped, RFC 9110 §4.2.3), `@path` its `pathname`, `@query` its `search` (`?` alone when there is none).
 * A server builds the URL from the request target and the Host (or its configured public origin).
 */

// ---- messages ----

/**
 * Header fields as the usual Node APIs give them: a WHATWG `Headers` (fetch, undici, Hono's `c.req.raw.headers`),
 * which combines repeated fields with ", " itself, or a plain record (`IncomingMessage.headers`,
 * `OutgoingHttpHeaders`), looked up case-insensitively, repeated values as arrays.
 */
export type HeaderBag =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | number | readonly string[] | undefined>>;

export interface RequestMessage {
  readonly method: string;
  /** The absolute target URI, e.g. `http://hub.example:8080/api/v1/sync/ingest?x=1`. */
  readonly url: string | URL;
  readonly headers: HeaderBag;
}

export interface ResponseMessage {
  readonly status: number;
  readonly headers: HeaderBag;
}

/** The message a signature is for: a request, or a response (with the request it answers, for `;req` components). */
export type SignatureTarget =
  | { readonly kind: 'request'; readonly request: RequestMessage }
  | { readonly kind: 'response'; readonly response: ResponseMessage; readonly request?: RequestMessage };

/** The raw values of a header field, in order, or undefined when the message has none. */
export function fieldValues(headers: HeaderBag, name: string): string[] | undefined {
  const lower = name.toLowerCase();
  if (typeof headers.get === 'function') {
    const v = (headers as { get(name: string): string | null }).get(lower);
    return v === null ? undefined : [v];
  }
  const out: string[] = [];
  let found = false;
  for (const [k, v] of Object.entries(headers as Readonly<Record<string, string | number | readonly string[] | undefined>>)) {
    if (k.toLowerCase() !== lower || v === undefined) continue;
    found = true;
    if (Array.isArray(v)) out.push(...(v as readonly string[]));
    else out.push(String(v));
  }
  return found ? out : undefined;
}

/**
 * A field's component value (RFC 9421 §2.1): each value stripped of leading and trailing whitespace, obsolete line
 * folding replaced by one space, the values joined with ", ". Undefined when the field is absent.
 */
export function fieldValue(headers: HeaderBag, name: string): string | undefined {
  const values = fieldValues(headers, name);
  if (values === undefined) return undefined;
  return values.map((v) => v.replace(/\r?\n[ \t]+/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '')).join(', ');
}

// ---- component identifiers ----

export interface ComponentId {
  /** A lowercase field name, or a derived component name starting with `@`. */
  readonly name: string;
  readonly params: Parameters;
}

/** `component('@path')`, `component('@method', { req: true })`, `component('signature-input', { req: true, key: 'sig1' })`. */
export function component(name: string, opts: { readonly req?: boolean; readonly key?: string } = {}): ComponentId {
  const params: Array<readonly [string, BareItem]> = [];
  if (opts.req) params.push(['req', sfBoolean(true)]);
  if (opts.key !== undefined) params.push(['key', sfString(opts.key)]);
  return { name, params };
}

/** `"@method"`, `"signature-input";req;key="sig1"`: the identifier as it appears in the base and in Signature-Input. */
export function serializeComponentId(c: ComponentId): string {
  return serializeString(c.name) + serializeParams(c.params);
}

/** Identity of a component identifier: its name and parameters, parameter order not significant (RFC 9421 §2). */
export function componentKey(c: ComponentId): string {
  const params = [...c.params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return serializeString(c.name) + serializeParams(params);
}

/** The covered components and parameters as the `@signature-params` value and Signature-Input member (an Inner List). */
export function signatureParamsList(components: readonly ComponentId[], params: Parameters): InnerList {
  return innerList(
    components.map((c) => item(sfString(c.name), c.params)),
    params,
  );
}

export function serializeSignatureParams(components: readonly ComponentId[], params: Parameters): string {
  return serializeInnerList(signatureParamsList(components, params));
}

/** Reads a Signature-Input member: an Inner List of Strings (the covered components) with the signature parameters. */
export function readSignatureInputMember(m: DictMember): { components: ComponentId[]; params: Parameters } | { error: string } {
  if (!isInnerList(m)) return { error: 'the Signature-Input member is not an inner list' };
  const components: ComponentId[] = [];
  for (const i of m.items) {
    if (i.value.type !== 'string') return { error: 'a covered component is not a string' };
    components.push({ name: i.value.value, params: i.params });
  }
  return { components, params: m.params };
}

// ---- the base ----

export type BaseResult =
  | { readonly ok: true; readonly base: string; readonly signatureParams: string }
  | { readonly ok: false; readonly reason: 'missing_component' | 'malformed'; readonly detail: string };

type ValueResult = { ok: true; value: string } | { ok: false; reason: 'missing_component' | 'malformed'; detail: string };

const missing = (detail: string): ValueResult => ({ ok: false, reason: 'missing_component', detail });
const bad = (detail: string): ValueResult => ({ ok: false, reason: 'malformed', detail });

const FIELD_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** An HTTP token (RFC 9110 §5.6.2), which a method is. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** field-content without obs-text (RFC 9421 §2.5's ABNF): visible ASCII, space and tab. */
const FIELD_VALUE_RE = /^[\x20-\x7e\t]*$/;
/** A derived component value: visible ASCII and space, not starting or ending with whitespace. */
const DERIVED_VALUE_RE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

function parseUrl(url: string | URL): URL | undefined {
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function derivedValue(name: string, ctx: RequestMessage | ResponseMessage, isRequest: boolean): ValueResult {
  if (name === '@status') {
    if (isRequest) return bad('"@status" is for responses only');
    const status = (ctx as ResponseMessage).status;
    if (!Number.isInteger(status) || status < 100 || status > 999) return bad(`bad status ${status}`);
    return { ok: true, value: String(status) };
  }
  if (!isRequest) return bad(`"${name}" is for requests (cover it with ;req from a response)`);
  const req = ctx as RequestMessage;
  if (name === '@method') {
    return TOKEN_RE.test(req.method) ? { ok: true, value: req.method } : bad('the method is not an HTTP token');
  }
  const url = parseUrl(req.url);
  if (url === undefined) return bad('the request URL does not parse');
  switch (name) {
    case '@target-uri':
      return { ok: true, value: url.href };
    case '@authority':
      return { ok: true, value: url.host };
    case '@scheme':
      return { ok: true, value: url.protocol.replace(/:$/, '') };
    case '@path':
      return { ok: true, value: url.pathname === '' ? '/' : url.pathname };
    case '@query':
      return { ok: true, value: url.search === '' ? '?' : url.search };
    default:
      return bad(`derived component "${name}" is not supported`);
  }
}

function componentValue(c: ComponentId, target: SignatureTarget): ValueResult {
  let req = false;
  let key: string | undefined;
  for (const [k, v] of c.params) {
    if (k === 'req' && v.type === 'boolean' && v.value) req = true;
    else if (k === 'key' && v.type === 'string') key = v.value;
    else return bad(`component parameter "${k}" on "${c.name}" is not supported`);
  }
  let ctx: RequestMessage | ResponseMessage;
  let isRequest: boolean;
  if (req) {
    if (target.kind === 'request') return bad(`";req" on "${c.name}" in a request's signature`);
    if (target.request === undefined) return missing(`"${c.name}";req needs the request this response answers`);
    ctx = target.request;
    isRequest = true;
  } else {
    ctx = target.kind === 'request' ? target.request : target.response;
    isRequest = target.kind === 'request';
  }

  let value: string;
  if (c.name.startsWith('@')) {
    if (key !== undefined) return bad(`";key" on derived component "${c.name}"`);
    const r = derivedValue(c.name, ctx, isRequest);
    if (!r.ok) return r;
    if (!DERIVED_VALUE_RE.test(r.value)) return bad(`"${c.name}" has characters a signature base cannot hold`);
    value = r.value;
  } else {
    if (!FIELD_NAME_RE.test(c.name)) return bad(`"${c.name}" is not a lowercase field name`);
    const raw = fieldValue(ctx.headers, c.name);
    if (raw === undefined) return missing(`the message has no "${c.name}" field`);
    if (key === undefined) {
      value = raw;
    } else {
      let member: DictMember | undefined;
      try {
        member = dictMember(parseDictionary(raw), key);
      } catch (e) {
        return bad(`"${c.name}" is not a dictionary: ${e instanceof StructuredFieldError ? e.message : String(e)}`);
      }
      if (member === undefined) return missing(`"${c.name}" has no member "${key}"`);
      value = serializeMember(member);
    }
    if (!FIELD_VALUE_RE.test(value)) return bad(`"${c.name}" has characters a signature base cannot hold`);
  }
  return { ok: true, value };
}

/**
 * Builds the signature base (RFC 9421 §2.5): one line `<identifier>: <value>` per covered component, in order, and
 * the `"@signature-params"` line last, with no newline after it. `signatureParams` is that last line's value, which
 * is also the Signature-Input member. Errors: a component listed twice or `@signature-params` listed (`malformed`),
 * a component the message lacks (`missing_component`), a component or parameter not understood (`malformed`).
 */
export function buildSignatureBase(components: readonly ComponentId[], params: Parameters, target: SignatureTarget): BaseResult {
  const seen = new Set<string>();
  let base = '';
  for (const c of components) {
    if (c.name === '@signature-params') return { ok: false, reason: 'malformed', detail: '"@signature-params" listed as a covered component' };
    let id: string;
    let k: string;
    try {
      id = serializeComponentId(c);
      k = componentKey(c);
    } catch (e) {
      return { ok: false, reason: 'malformed', detail: `bad component identifier: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (seen.has(k)) return { ok: false, reason: 'malformed', detail: `component ${id} listed twice` };
    seen.add(k);
    const v = componentValue(c, target);
    if (!v.ok) return v;
    base += `${id}: ${v.value}\n`;
  }
  let signatureParams: string;
  try {
    signatureParams = serializeSignatureParams(components, params);
  } catch (e) {
    return { ok: false, reason: 'malformed', detail: `bad signature parameters: ${e instanceof Error ? e.message : String(e)}` };
  }
  base += `"@signature-params": ${signatureParams}`;
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(base)) return { ok: false, reason: 'malformed', detail: 'the signature base is not ASCII' };
  return { ok: true, base, signatureParams };
}
