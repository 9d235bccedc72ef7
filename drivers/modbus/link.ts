import type { ReadRequest } from './types.js';

/**
 * One open serial port or TCP connection. A link runs one transaction at a time (the bus sees to that) and is
 * used once: when it is lost the bus drops it and opens a new one.
 */
export interface Link {
  /** Sends one read and resolves with its registers; rejects with a ModbusError (timeout, crc, exception, port). */
  transact(req: ReadRequest): Promise<number[]>;
  /** 0 when a request to `slave` may go out now; else how long until it may (an RTU slave's late answer may still come). */
  waitMs(slave: number): number;
  /** Registers the (single) listener called once if the port or connection goes away without close(). */
  onLost(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

export type LinkOpener = () => Promise<Link>;

export function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
