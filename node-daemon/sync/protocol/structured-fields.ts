/**
 * Structured Field Values for HTTP (RFC 8941): the parts the sync protocol's headers use. Pure: no I/O, no crypto.
 *
 * `Signature-Input`, `Signature` (RFC 9421) and `Content-Digest` (RFC 9530) are Dictionaries whose members are Items
 * or Inner Lists of Strings, Integers, Byte Sequences and Booleans with Parameters, and RFC 9421 builds its
 * signature base from the strict serialization of those values. This module parses a Dictionary (and its Inner
 * Lists, Items and Parameters, all six bare item types of RFC 8941) and serializes every type strictly (RFC 8941
 * §4.1), so what is parsed and serialized again is byte for byte what RFC 9421 signs.
 *
 * Deliberately stricter than RFC 8941 in one point: a Dictionary key or a Parameter key given twice is an error
 * (RFC 8941 lets the last one win). Two `sig1` labels, two `sha-256` digests or two `created` parameters in one
 * field can only come from a confused or hostile sender, and for a signature the safe answer is to refuse.
 * RFC 9651's Dates (`@…`) and Display Strings (`%"…"`) are not parsed (an error), since nothing here uses them.
 */

export type BareItem =
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'decimal'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'token'; readonly value: string }
  | { readonly type: 'bytes'; readonly value: Uint8Array }
  | { readonly type: 'boolean'; readonly value: boolean };

/** Ordered parameters: order is kept through parsing and serialization (RFC 9421 signs it). */
export type Parameters = ReadonlyArray<readonly [key: string, value: BareItem]>;

export interface Item {
  readonly value: BareItem;
  readonly params: Parameters;
}

export interface InnerList {
  readonly items: readonly Item[];
  readonly params: Parameters;
}

export type DictMember = Item | InnerList;

/** Ordered dictionary members; keys are unique (see the note above). */
export type Dictionary = ReadonlyArray<readonly [key: string, member: DictMember]>;

export class StructuredFieldError extends Error {
  override readonly name = 'StructuredFieldError';
}

// ---- constructors ----

export const sfInteger = (value: number): BareItem => ({ type: 'integer', value });
export const sfDecimal = (value: number): BareItem => ({ type: 'decimal', value });
export const sfString = (value: string): BareItem => ({ type: 'string', value });
export const sfToken = (value: string): BareItem => ({ type: 'token', value });
export const sfBytes = (value: Uint8Array): BareItem => ({ type: 'bytes', value });
export const sfBoolean = (value: boolean): BareItem => ({ type: 'boolean', value });
export const item = (value: BareItem, params: Parameters = []): Item => ({ value, params });
export const innerList = (items: readonly Item[], params: Parameters = []): InnerList => ({ items, params });

export const isInnerList = (m: DictMember): m is InnerList => 'items' in m;

/** The value of parameter `key`, if present. */
export function param(params: Parameters, key: string): BareItem | undefined {
  for (const [k, v] of params) if (k === key) return v;
  return undefined;
}

/** The member `key` of a dictionary, if present. */
export function dictMember(dict: Dictionary, key: string): DictMember | undefined {
  for (const [k, v] of dict) if (k === key) return v;
  return undefined;
}

// ---- serialization (RFC 8941 §4.1) ----

const MAX_INTEGER = 999_999_999_999_999;
const KEY_RE = /^[a-z*][a-z0-9_\-.*]*$/;
const TOKEN_RE = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function serializeKey(key: string): string {
  if (!KEY_RE.test(key)) throw new StructuredFieldError(`not a structured field key: ${JSON.stringify(key)}`);
  return key;
}

export function serializeString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new StructuredFieldError('a structured field string holds only printable ASCII');
    const ch = value[i] as string;
    out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return `${out}"`;
}

function serializeInteger(value: number): string {
  if (!Number.isInteger(value) || Math.abs(value) > MAX_INTEGER) {
    throw new StructuredFieldError(`not a structured field integer: ${value}`);
  }
  return Object.is(value, -0) ? '0' : String(value);
}

function serializeDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new StructuredFieldError(`not a structured field decimal: ${value}`);
  const scaled = value * 1000;
  let thousandths = Math.round(scaled);
  if (Math.abs(scaled % 1) === 0.5) thousandths = 2 * Math.round(scaled / 2); // ties to even
  const abs = Math.abs(thousandths);
  const intPart = Math.floor(abs / 1000);
  if (intPart > 999_999_999_999) throw new StructuredFieldError(`decimal too large: ${value}`);
  const frac = String(abs % 1000).padStart(3, '0').replace(/0+$/, '') || '0';
  return `${thousandths < 0 ? '-' : ''}${intPart}.${frac}`;
}

function serializeToken(value: string): string {
  if (!TOKEN_RE.test(value)) throw new StructuredFieldError(`not a structured field token: ${JSON.stringify(value)}`);
  return value;
}

export function serializeBareItem(v: BareItem): string {
  switch (v.type) {
    case 'integer':
      return serializeInteger(v.value);
    case 'decimal':
      return serializeDecimal(v.value);
    case 'string':
      return serializeString(v.value);
    case 'token':
      return serializeToken(v.value);
    case 'bytes':
      return `:${Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64')}:`;
    case 'boolean':
      return v.value ? '?1' : '?0';
  }
}

export function serializeParams(params: Parameters): string {
  let out = '';
  for (const [key, value] of params) {
    out += `;${serializeKey(key)}`;
    if (!(value.type === 'boolean' && value.value)) out += `=${serializeBareItem(value)}`;
  }
  return out;
}

export function serializeItem(i: Item): string {
  return serializeBareItem(i.value) + serializeParams(i.params);
}

export function serializeInnerList(l: InnerList): string {
  return `(${l.items.map(serializeItem).join(' ')})${serializeParams(l.params)}`;
}

/** A dictionary member's value as RFC 9421 §2.1.2 signs it (`"field";key="k"`): the member without its key. */
export function serializeMember(m: DictMember): string {
  return isInnerList(m) ? serializeInnerList(m) : serializeItem(m);
}

export function serializeDictionary(dict: Dictionary): string {
  return dict
    .map(([key, m]) => {
      const k = serializeKey(key);
      if (!isInnerList(m) && m.value.type === 'boolean' && m.value.value) return k + serializeParams(m.params);
      return `${k}=${serializeMember(m)}`;
    })
    .join(', ');
}

// ---- parsing (RFC 8941 §4.2) ----

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLcAlpha = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
const isAlpha = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const TCHAR_EXTRA = "!#$%&'*+-.^_`|~:/";

class Parser {
  private pos = 0;

  constructor(private readonly input: string) {
    for (let i = 0; i < input.length; i++) {
      if (input.charCodeAt(i) > 0x7f) throw new StructuredFieldError('a structured field is ASCII');
    }
  }

  private peek(): string | undefined {
    return this.input[this.pos];
  }

  private fail(what: string): never {
    throw new StructuredFieldError(`${what} at offset ${this.pos}`);
  }

  private skipSp(): void {
    while (this.peek() === ' ') this.pos++;
  }

  private skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  parseDictionaryField(): Dictionary {
    this.skipSp();
    const out: Array<readonly [string, DictMember]> = [];
    const seen = new Set<string>();
    while (this.pos < this.input.length) {
      const key = this.parseKey();
      let member: DictMember;
      if (this.peek() === '=') {
        this.pos++;
        member = this.parseItemOrInnerList();
      } else {
        member = item(sfBoolean(true), this.parseParameters());
      }
      if (seen.has(key)) this.fail(`dictionary key "${key}" given twice`);
      seen.add(key);
      out.push([key, member]);
      this.skipOws();
      if (this.pos >= this.input.length) return out;
      if (this.peek() !== ',') this.fail('expected "," between dictionary members');
      this.pos++;
      this.skipOws();
      if (this.pos >= this.input.length) this.fail('trailing "," in dictionary');
    }
    return out;
  }

  parseItemField(): Item {
    this.skipSp();
    const i = this.parseItem();
    this.skipSp();
    if (this.pos < this.input.length) this.fail('unexpected characters after item');
    return i;
  }

  private parseItemOrInnerList(): DictMember {
    return this.peek() === '(' ? this.parseInnerList() : this.parseItem();
  }

  private parseInnerList(): InnerList {
    this.pos++; // '('
    const items: Item[] = [];
    while (this.pos < this.input.length) {
      this.skipSp();
      if (this.peek() === ')') {
        this.pos++;
        return innerList(items, this.parseParameters());
      }
      items.push(this.parseItem());
      if (this.peek() !== ' ' && this.peek() !== ')') this.fail('expected " " or ")" in inner list');
    }
    this.fail('unterminated inner list');
  }

  private parseItem(): Item {
    const value = this.parseBareItem();
    return item(value, this.parseParameters());
  }

  private parseParameters(): Parameters {
    const out: Array<readonly [string, BareItem]> = [];
    const seen = new Set<string>();
    while (this.peek() === ';') {
      this.pos++;
      this.skipSp();
      const key = this.parseKey();
      let value: BareItem = sfBoolean(true);
      if (this.peek() === '=') {
        this.pos++;
        value = this.parseBareItem();
      }
      if (seen.has(key)) this.fail(`parameter "${key}" given twice`);
      seen.add(key);
      out.push([key, value]);
    }
    return out;
  }

  private parseKey(): string {
    const start = this.pos;
    if (!(isLcAlpha(this.peek()) || this.peek() === '*')) this.fail('expected a key');
    while (isLcAlpha(this.peek()) || isDigit(this.peek()) || '_-.*'.includes(this.peek() ?? '\0')) this.pos++;
    return this.input.slice(start, this.pos);
  }

  private parseBareItem(): BareItem {
    const c = this.peek();
    if (c === '-' || isDigit(c)) return this.parseNumber();
    if (c === '"') return this.parseString();
    if (isAlpha(c) || c === '*') return this.parseToken();
    if (c === ':') return this.parseBytes();
    if (c === '?') return this.parseBoolean();
    this.fail('expected an item');
  }

  private parseNumber(): BareItem {
    let sign = 1;
    if (this.peek() === '-') {
      sign = -1;
      this.pos++;
    }
    if (!isDigit(this.peek())) this.fail('expected a digit');
    const start = this.pos;
    let decimal = false;
    while (this.pos < this.input.length) {
      const c = this.peek();
      if (isDigit(c)) this.pos++;
      else if (c === '.' && !decimal) {
        if (this.pos - start > 12) this.fail('decimal with more than 12 integer digits');
        decimal = true;
        this.pos++;
      } else break;
      if (!decimal && this.pos - start > 15) this.fail('integer with more than 15 digits');
      if (decimal && this.pos - start > 16) this.fail('decimal with more than 16 characters');
    }
    const text = this.input.slice(start, this.pos);
    if (!decimal) return sfInteger(sign * Number(text));
    if (text.endsWith('.')) this.fail('decimal ending in "."');
    if (text.length - text.indexOf('.') - 1 > 3) this.fail('decimal with more than 3 fraction digits');
    return sfDecimal(sign * Number(text));
  }

  private parseString(): BareItem {
    this.pos++; // '"'
    let out = '';
    while (this.pos < this.input.length) {
      const c = this.input[this.pos++] as string;
      if (c === '\\') {
        const next = this.input[this.pos++];
        if (next !== '"' && next !== '\\') this.fail('bad escape in string');
        out += next;
      } else if (c === '"') {
        return sfString(out);
      } else {
        const code = c.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) this.fail('non-printable character in string');
        out += c;
      }
    }
    this.fail('unterminated string');
  }

  private parseToken(): BareItem {
    const start = this.pos;
    this.pos++;
    while (isAlpha(this.peek()) || isDigit(this.peek()) || TCHAR_EXTRA.includes(this.peek() ?? '\0')) this.pos++;
    return sfToken(this.input.slice(start, this.pos));
  }

  private parseBytes(): BareItem {
    this.pos++; // ':'
    const end = this.input.indexOf(':', this.pos);
    if (end < 0) this.fail('unterminated byte sequence');
    const b64 = this.input.slice(this.pos, end);
    // Missing padding is accepted (RFC 8941 §4.2.7 says parsers should not fail on it); a length no base64 can have is not.
    if (!BASE64_RE.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) this.fail('bad base64 in byte sequence');
    this.pos = end + 1;
    return sfBytes(new Uint8Array(Buffer.from(b64, 'base64')));
  }

  private parseBoolean(): BareItem {
    this.pos++; // '?'
    const c = this.input[this.pos++];
    if (c === '1') return sfBoolean(true);
    if (c === '0') return sfBoolean(false);
    this.fail('expected ?0 or ?1');
  }
}

/** Parses a Dictionary field value (lines of one field combined with ", " first). Throws StructuredFieldError. */
export function parseDictionary(field: string): Dictionary {
  return new Parser(field).parseDictionaryField();
}

/** Parses an Item field value. Throws StructuredFieldError. */
export function parseItem(field: string): Item {
  return new Parser(field).parseItemField();
}
