import { ModbusError } from './types.js';

/** The fields modbus-serial 8 puts on the errors it hands to callbacks. */
interface LibError {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly errno?: unknown;
  readonly code?: unknown;
  readonly modbusCode?: unknown;
}

/**
 * Maps an error from modbus-serial (the Modbus TCP link) to a ModbusError kind. RTU frames are judged by our own
 * transactor (rtu-transactor.ts), which tells a damaged reply from silence itself.
 */
export function classifyLibError(err: unknown): ModbusError {
  if (err instanceof ModbusError) return err;
  const e: LibError = typeof err === 'object' && err !== null ? (err as LibError) : {};
  const message = typeof e.message === 'string' ? e.message : String(err);

  if (typeof e.modbusCode === 'number') return new ModbusError('exception', message, e.modbusCode);
  if (e.errno === 'ETIMEDOUT' || e.name === 'TransactionTimedOutError') return new ModbusError('timeout', 'no reply before timeout');
  if (message === 'CRC error') return new ModbusError('crc', 'CRC error in reply');
  if (message.startsWith('Data length error') || message.startsWith('Unexpected data error')) {
    return new ModbusError('crc', `bad frame: ${message}`);
  }
  if (e.name === 'PortNotOpenError' || e.name === 'SerialPortError' || message === 'Port Not Open') {
    return new ModbusError('port', message || 'port not open');
  }
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return new ModbusError('port', `${e.code}: ${message}`);
  return new ModbusError('other', message);
}
