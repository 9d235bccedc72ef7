import { describe, expect, it } from 'vitest';
import { isUrc, parseCmgs, parseCpin, parseCsq, parseFinalResult, parseRegistration } from './at-responses.js';

describe('AT response parsing', () => {
  it('reads final result codes', () => {
    expect(parseFinalResult('OK')).toEqual({ kind: 'ok' });
    expect(parseFinalResult('ERROR')).toEqual({ kind: 'error' });
    expect(parseFinalResult('+CMS ERROR: 38')).toEqual({ kind: 'cms', code: 38 });
    expect(parseFinalResult('+CME ERROR: 10')).toEqual({ kind: 'cme', code: 10 });
    expect(parseFinalResult('+CME ERROR: SIM not inserted')).toEqual({ kind: 'error' });
    expect(parseFinalResult('+CMGS: 12')).toBeUndefined();
  });

  it('tells a +CREG URC from the answer to AT+CREG?', () => {
    expect(isUrc('+CREG: 0,1', '+CREG:')).toBe(false);
    expect(isUrc('+CREG: 2,5,"1A2B","00C3F1",7', '+CREG:')).toBe(false);
    expect(isUrc('+CREG: 1', '+CREG:')).toBe(true);
    expect(isUrc('+CREG: 1,"1A2B","00C3F1"', '+CREG:')).toBe(true);
    expect(isUrc('+CREG: 0,1', '+CSQ:')).toBe(true);
    expect(isUrc('RING', '+CMGS:')).toBe(true);
    expect(isUrc('+CMGS: 3', '+CMGS:')).toBe(false);
    expect(isUrc('+CPIN: READY', '+CPIN:')).toBe(false);
    expect(isUrc('+CPIN: READY', undefined)).toBe(true);
  });

  it('reads registration, signal, SIM state and message reference', () => {
    expect(parseRegistration('+CEREG: 0,5', 'answer')).toEqual({ command: 'CEREG', state: 'roaming' });
    expect(parseRegistration('+CREG: 2', 'urc')).toEqual({ command: 'CREG', state: 'searching' });
    expect(parseCsq('+CSQ: 31,99')).toEqual({ rssi: 31, ber: 99, dbm: -51 });
    expect(parseCsq('+CSQ: 0,0')?.dbm).toBe(-113);
    expect(parseCsq('+CSQ: 99,99')?.dbm).toBeUndefined();
    expect(parseCpin('+CPIN: SIM PIN')).toBe('pin_required');
    expect(parseCpin('+CPIN: READY')).toBe('ready');
    expect(parseCmgs('+CMGS: 231')).toBe(231);
  });
});
