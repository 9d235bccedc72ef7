import { parse, Submit } from 'node-pdu';
import { describe, expect, it } from 'vitest';
import { encodeSubmitPdu, PduInputError } from './submit-pdu.js';

describe('encodeSubmitPdu', () => {
  it('matches the classic published example (hellohello to +46708251358), with our 24 h validity', () => {
    // dreamfabric.com/sms/: 0011000B916407281553F80000AA0AE8329BFD4697D9EC37 (VP AA = 4 days; ours is A7 = 24 h).
    const pdu = encodeSubmitPdu({ number: '+46708251358', encoding: 'gsm7', text: 'hellohello', requestReport: false });
    expect(pdu).toEqual({ hex: '0011000B916407281553F80000A70AE8329BFD4697D9EC37', tpduLength: 23 });
  });

  it('encodes UCS-2 with an 8-bit-reference UDH, as node-pdu reads it back', () => {
    const pdu = encodeSubmitPdu({ number: '13800138000', encoding: 'ucs2', text: '洪水预警', concat: { reference: 0x2a, total: 3, sequence: 2 }, requestReport: true });
    expect(pdu.hex.slice(0, 4)).toBe('0071'); // SRR | UDHI | VPF relative | SUBMIT
    expect(pdu.hex).toContain('050003' + '2A0302');
    const back = parse(pdu.hex);
    expect(back).toBeInstanceOf(Submit);
    const s = back as Submit;
    expect(s.data.getText()).toBe('洪水预警');
    expect(s.address.phone).toBe('13800138000');
    expect(s.data.parts[0]?.header?.toJSON()).toEqual({ POINTER: 0x2a, SEGMENTS: 3, CURRENT: 2 });
    expect(s.type.statusReportRequest).toBe(1);
    expect(pdu.tpduLength).toBe(pdu.hex.length / 2 - 1);
  });

  it('pads GSM-7 after a 6-octet UDH with one fill bit (node-pdu reads the text back)', () => {
    const text = 'Move to high ground [now] €';
    const pdu = encodeSubmitPdu({ number: '+8613800138000', encoding: 'gsm7', text, concat: { reference: 7, total: 2, sequence: 1 }, requestReport: false });
    expect((parse(pdu.hex) as Submit).data.getText()).toBe(text);
  });

  it('refuses what does not fit or is not a number', () => {
    expect(() => encodeSubmitPdu({ number: '+86 138', encoding: 'gsm7', text: 'x', requestReport: false })).toThrow(PduInputError);
    expect(() => encodeSubmitPdu({ number: '10086', encoding: 'ucs2', text: '水'.repeat(71), requestReport: false })).toThrow(/140/);
    expect(() => encodeSubmitPdu({ number: '10086', encoding: 'gsm7', text: 'a'.repeat(154), concat: { reference: 1, total: 2, sequence: 1 }, requestReport: false })).toThrow(/160/);
  });
});
