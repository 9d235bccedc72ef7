import { withCrc } from '../../../../drivers/modbus/rtu-frame.js';

/** SL 651's CRC: the Modbus CRC-16 (through rtu-frame, so the arithmetic lives in one place) of `bytes`. */
export function crc16(bytes: Uint8Array): number {
  const framed = withCrc(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  return framed.readUInt16LE(bytes.length);
}
