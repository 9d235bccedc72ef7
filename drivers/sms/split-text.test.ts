import { describe, expect, it } from 'vitest';
import { planParts } from './split-text.js';

describe('planParts', () => {
  it('keeps one SMS up to 160 GSM-7 septets or 70 UCS-2 characters', () => {
    expect(planParts('a'.repeat(160))).toEqual({ encoding: 'gsm7', parts: ['a'.repeat(160)] });
    expect(planParts('水'.repeat(70))).toEqual({ encoding: 'ucs2', parts: ['水'.repeat(70)] });
  });

  it('splits into 153-septet and 67-character parts once the text needs more than one SMS', () => {
    expect(planParts('a'.repeat(161)).parts.map((p) => p.length)).toEqual([153, 8]);
    expect(planParts('水'.repeat(71)).parts.map((p) => p.length)).toEqual([67, 4]);
    expect(planParts('水'.repeat(134)).parts.map((p) => p.length)).toEqual([67, 67]);
  });

  it('counts extension characters as two septets and never splits them', () => {
    expect(planParts('€'.repeat(80))).toEqual({ encoding: 'gsm7', parts: ['€'.repeat(80)] });
    const parts = planParts('a' + '€'.repeat(80)).parts;
    expect(parts).toEqual(['a' + '€'.repeat(76), '€'.repeat(4)]);
  });

  it('uses UCS-2 for anything outside GSM-7, and never splits a surrogate pair', () => {
    expect(planParts('level `3`').encoding).toBe('ucs2');
    const parts = planParts('a' + '🌊'.repeat(40)).parts;
    expect(parts.join('')).toBe('a' + '🌊'.repeat(40));
    expect(parts.every((p) => p.length <= 67 && !/[\ud800-\udbff]$/.test(p))).toBe(true);
  });

  it('can be forced to UCS-2', () => {
    expect(planParts('hello', 'ucs2')).toEqual({ encoding: 'ucs2', parts: ['hello'] });
  });
});
