import { describe, expect, it } from 'vitest';
import { classifyLibError } from './classify-error.js';

// The shapes below are the errors modbus-serial 8 hands to callbacks (see its index.js).
describe('classifyLibError', () => {
  it('maps modbus-serial errors to ModbusError kinds', () => {
    const exc = Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 });
    expect(classifyLibError(exc)).toMatchObject({ kind: 'exception', exceptionCode: 2 });
    expect(classifyLibError({ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }).kind).toBe('timeout');
    expect(classifyLibError(new Error('CRC error')).kind).toBe('crc');
    expect(classifyLibError(new Error('Data length error, expected 11 got 7')).kind).toBe('crc');
    expect(classifyLibError(new Error('Unexpected data error, expected address 1 got 3')).kind).toBe('crc');
    expect(classifyLibError({ name: 'PortNotOpenError', message: 'Port Not Open', errno: 'ECONNREFUSED' }).kind).toBe('port');
    expect(classifyLibError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })).kind).toBe('port');
    expect(classifyLibError(new Error('something else')).kind).toBe('other');
  });
});
