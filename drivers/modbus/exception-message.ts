/** Names of the exception codes in the Modbus application protocol specification. */
const NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function exceptionMessage(code: number): string {
  return `Modbus exception ${code}: ${NAMES[code] ?? 'unknown code'}`;
}
