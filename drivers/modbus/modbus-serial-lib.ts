import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';

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


interface ModbusSerialModule {
  new (port: ModbusPort): ModbusClient;
  TcpPort: new (options: { socket: Socket }) => ModbusPort;
}

const lib = ModbusSerial as unknown as ModbusSerialModule;

export const ModbusClientClass = lib;
export const TcpPortClass = lib.TcpPort;
