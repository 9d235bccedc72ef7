import type { ModbusClient } from './modbus-serial-lib.js';

/**
 * One open serial port or TCP connection with a modbus-serial client on it. A link is used once: when it is
 * lost the bus drops it and opens a new one.
 */
export interface Link {
  readonly client: ModbusClient;
  /** Registers the (single) listener called once if the port or connection goes away without close(). */
  onLost(listener: (err: Error) => void): void;
  /** Whether any byte arrived since the last request was written (tells a truncated reply from silence). */
  bytesSeenSinceWrite(): boolean;
  /**
   * After a failed transaction: make sure no byte of a late or garbled reply can be taken for the next answer.
   * `silence` is true when nothing at all came back (a reply may still be on its way).
   */
  recover(silence: boolean): Promise<void>;
  close(): Promise<void>;
}

export type LinkOpener = () => Promise<Link>;

export function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
