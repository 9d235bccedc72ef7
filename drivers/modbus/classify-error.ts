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
 * Maps an error from modbus-serial to a ModbusError kind. `bytesSeen` says whether any byte arrived on the line
 * after the request was written: a timeout with bytes seen means a truncated or unframeable reply, which is a
 * bad frame (`crc`), not a silent slave.
 */
export function classifyLibError(err: unknown, opts: { bytesSeen?: boolean } = {}): ModbusError {
  if (err instanceof ModbusError) return err;
  const e: LibError = typeof err === 'object' && err !== null ? (err as LibError) : {};
  const message = typeof e.message === 'string' ? e.message : String(err);

  if (typeof e.modbusCode === 'number') return new ModbusError('exception', message, e.modbusCode);
  if (e.errno === 'ETIMEDOUT' || e.name === 'TransactionTimedOutError') {
    return opts.bytesSeen
      ? new ModbusError('crc', 'incomplete or unframeable reply before timeout')
      : new ModbusError('timeout', 'no reply before timeout');
  }
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
