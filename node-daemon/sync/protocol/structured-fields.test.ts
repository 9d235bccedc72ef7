import { describe, expect, it } from 'vitest';
import {
  innerList,
  item,
  parseDictionary,
  parseItem,
  serializeBareItem,
  serializeDictionary,
  serializeItem,
  sfBoolean,
  sfBytes,
  sfDecimal,
  sfInteger,
  sfString,
  sfToken,
  StructuredFieldError,
} from './structured-fields.js';

const roundTrip = (field: string): string => serializeDictionary(parseDictionary(field));

describe('structured fields: dictionaries (RFC 8941 §3.2)', () => {
  it('parses and strictly re-serializes the RFC 8941 and RFC 9421 examples', () => {
    expect(roundTrip('en="Applepie", da=:w4ZibGV0w6ZydGU=:')).toBe('en="Applepie", da=:w4ZibGV0w6ZydGU=:');
    expect(roundTrip('a=?0, b, c; foo=bar')).toBe('a=?0, b, c;foo=bar');
    expect(roundTrip('rating=1.5, feelings=(joy sadness)')).toBe('rating=1.5, feelings=(joy sadness)');
    expect(roundTrip('a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid')).toBe('a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid');
    // RFC 9421 §2.1.1: the "sf" re-serialization of a loosely spaced dictionary.
    expect(roundTrip('a=1,    b=2;x=1;y=2,   c=(a   b   c)')).toBe('a=1, b=2;x=1;y=2, c=(a b c)');
  });

  it('keeps member and parameter order', () => {
    const d = parseDictionary('z=1;b=2;a=3, y=2, x=()');
    expect(d.map(([k]) => k)).toEqual(['z', 'y', 'x']);
    expect((d[0]?.[1].params ?? []).map(([k]) => k)).toEqual(['b', 'a']);
  });

  it('takes tabs around commas and leading spaces, and an empty field as an empty dictionary', () => {
    expect(roundTrip('  a=1 ,\tb=2  ')).toBe('a=1, b=2');
    expect(parseDictionary('')).toEqual([]);
    expect(parseDictionary('   ')).toEqual([]);
  });

  it('refuses what RFC 8941 refuses, and a key given twice (stricter than RFC 8941, on purpose)', () => {
    for (const bad of [
      'a=1,',
      'a=1,,b=2',
      'A=1',
      '1a=1',
      'a=1 b=2',
      'a=(1 2',
      'a=(1 2)x',
      'a="unterminated',
      'a="bad \\x escape"',
      'a=:abc',
      'a=:ab$c:',
      'a=?2',
      'a=1.2345',
      'a=1.',
      'a=1234567890123456',
      'a=1234567890123.1',
      'a=@1659578233',
      'a=%"display"',
      'a="caf\u00e9"',
      'a=1, a=2',
      'a=1;p=1;p=2',
      '\ta=1',
    ]) {
      expect(() => parseDictionary(bad), bad).toThrow(StructuredFieldError);
    }
  });
});

describe('structured fields: items', () => {
  it('parses every bare item type', () => {
    expect(parseItem('42')).toEqual(item(sfInteger(42)));
    expect(parseItem('-999999999999999')).toEqual(item(sfInteger(-999_999_999_999_999)));
    expect(parseItem('4.5')).toEqual(item(sfDecimal(4.5)));
    expect(parseItem('"say \\"hi\\" \\\\ bye"')).toEqual(item(sfString('say "hi" \\ bye')));
    expect(parseItem('foo123/456:x')).toEqual(item(sfToken('foo123/456:x')));
    expect(parseItem(':cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:').value).toEqual(sfBytes(new Uint8Array(Buffer.from('pretend this is binary content.'))));
    expect(parseItem('?1;a;b=?0')).toEqual(item(sfBoolean(true), [['a', sfBoolean(true)], ['b', sfBoolean(false)]]));
  });

  it('accepts a byte sequence without "=" padding (RFC 8941 §4.2.7)', () => {
    expect(parseItem(':aGk:').value).toEqual(sfBytes(new Uint8Array(Buffer.from('hi'))));
  });
});

describe('structured fields: strict serialization (RFC 8941 §4.1)', () => {
  it('serializes each type', () => {
    expect(serializeBareItem(sfInteger(-0))).toBe('0');
    expect(serializeBareItem(sfDecimal(1))).toBe('1.0');
    expect(serializeBareItem(sfDecimal(-0.25))).toBe('-0.25');
    expect(serializeBareItem(sfDecimal(0.0625))).toBe('0.062'); // rounds half to even
    expect(serializeBareItem(sfDecimal(0.0635))).toBe('0.064');
    expect(serializeBareItem(sfString('a "quoted" \\ back'))).toBe('"a \\"quoted\\" \\\\ back"');
    expect(serializeBareItem(sfBytes(new Uint8Array([0xff, 0x00])))).toBe(':/wA=:');
    expect(serializeItem(item(sfToken('*foo'), [['k', sfBoolean(true)], ['n', sfBoolean(false)]]))).toBe('*foo;k;n=?0');
    expect(serializeDictionary([['flag', item(sfBoolean(true), [['x', sfInteger(1)]])], ['l', innerList([item(sfString('a'))], [['p', sfString('v')]])]])).toBe('flag;x=1, l=("a");p="v"');
  });

  it('refuses what cannot be serialized', () => {
    expect(() => serializeBareItem(sfInteger(1e15))).toThrow(StructuredFieldError);
    expect(() => serializeBareItem(sfInteger(1.5))).toThrow(StructuredFieldError);
    expect(() => serializeBareItem(sfString('line\nbreak'))).toThrow(StructuredFieldError);
    expect(() => serializeBareItem(sfString('水'))).toThrow(StructuredFieldError);
    expect(() => serializeBareItem(sfToken('1abc'))).toThrow(StructuredFieldError);
    expect(() => serializeDictionary([['Upper', item(sfInteger(1))]])).toThrow(StructuredFieldError);
  });
});
