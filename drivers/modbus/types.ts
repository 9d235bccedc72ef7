/**
 * The contract between the daemon and a Modbus bus. A bus owns one serial line or one TCP connection and runs
 * every request through its own transaction queue: one request in flight, highest priority first, FIFO within
 * a priority. It never decodes values: it returns raw 16-bit registers.
 */
export interface ReadRequest {
  readonly slave: number;
  readonly functionCode: 3 | 4;
  /** Protocol (0-based) address of the first register. */
  readonly address: number;
  /** Number of 16-bit registers, 1..125. */
  readonly count: number;
  /** 0 is the most urgent (alarm-critical sensors); larger numbers wait. */
  readonly priority: number;
}

/**
 * `unconfirmed`: an RTU slave's first answer after one of its late-reply windows ran out unheard. It may be the late
 * answer to an earlier request (RTU has no transaction id), so it is not used, and the bus asks again once that is
 * settled (see LateReplyGuard). The slave is alive: like `crc`, it never counts against the breaker.
 */
export type ModbusErrorKind = 'timeout' | 'exception' | 'crc' | 'unconfirmed' | 'port' | 'breaker_open' | 'closed' | 'other';

export class ModbusError extends Error {
  constructor(
    readonly kind: ModbusErrorKind,
    message: string,
    /** Modbus exception code (e.g. 2 = illegal data address) when kind is `exception`. */
    readonly exceptionCode?: number,
  ) {
    super(message);
    this.name = 'ModbusError';
  }
}

export interface BusCounters {
  requests: number;
  responses: number;
  timeouts: number;
  exceptions: number;
  crcErrors: number;
  portErrors: number;
  reconnects: number;
}

/** Counters of a bus that has done nothing yet. */
export function zeroCounters(): BusCounters {
  return { requests: 0, responses: 0, timeouts: 0, exceptions: 0, crcErrors: 0, portErrors: 0, reconnects: 0 };
}

export interface ModbusBus {
  readonly id: string;
  /** Opens the port or connection; resolves even when the port is absent (the bus then keeps reconnecting). */
  start(): Promise<void>;
  /** Rejects queued requests with kind `closed` and closes the port. */
  stop(): Promise<void>;
  /** Reads registers; rejects with a `ModbusError`. */
  read(req: ReadRequest): Promise<number[]>;
  counters(): Readonly<BusCounters>;
}
