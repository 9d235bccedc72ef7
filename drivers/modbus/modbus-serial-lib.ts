import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';
import type { SerialPort } from 'serialport';

/**
 * Typed access to the parts of modbus-serial 8 we use. The package is CommonJS: its default import is the
 * client class itself (whatever its .d.ts claims), and the port classes are attached to it untyped.
 */
export type ModbusClient = InstanceType<typeof ModbusSerial.default>;

/** What modbus-serial's client expects of a port. */
export interface ModbusPort extends EventEmitter {
  readonly isOpen: boolean;
  open(cb: (err?: Error | null) => void): void;
  close(cb?: (err?: Error | null) => void): void;
  write(data: Buffer): void;
}

/** modbus-serial's RTUBufferedPort: frames replies by expected length; `_buffer` holds bytes not yet framed. */
export interface RtuBufferedPort extends ModbusPort {
  _buffer: Buffer;
  readonly _client: SerialPort;
}

export interface RtuPortOptions {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

interface ModbusSerialModule {
  new (port: ModbusPort): ModbusClient;
  TcpPort: new (options: { socket: Socket }) => ModbusPort;
  RTUBufferedPort: new (path: string, options: RtuPortOptions) => RtuBufferedPort;
}

const lib = ModbusSerial as unknown as ModbusSerialModule;

export const ModbusClientClass = lib;
export const TcpPortClass = lib.TcpPort;
export const RtuBufferedPortClass = lib.RTUBufferedPort;
