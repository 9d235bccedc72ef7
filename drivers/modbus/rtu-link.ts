import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { errorOf, type Link } from './link.js';
import { ModbusClientClass, RtuBufferedPortClass, type RtuPortOptions } from './modbus-serial-lib.js';

export interface RtuLinkOptions extends RtuPortOptions {
  readonly path: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** How often the device path is checked while open. */
  readonly presenceCheckMs?: number;
}

const DEFAULT_PRESENCE_CHECK_MS = 500;

/**
 * modbus-serial's buffered RTU port keeps unframed bytes across requests and frames replies by scanning for
 * the current unit id and function code, so bytes of a late reply (after our timeout) could be framed as the
 * answer to the next request to the same unit. This port discards everything received (its buffer and the OS
 * input queue) just before each request is written, and counts raw bytes so the bus can wait for the line to
 * fall quiet after a failure.
 */
class GuardedRtuPort extends RtuBufferedPortClass {
  bytesSinceWrite = 0;
  lastByteAt = 0;

  constructor(path: string, options: RtuPortOptions) {
    super(path, options);
    this._client.on('data', (chunk: Buffer) => {
      this.bytesSinceWrite += chunk.length;
      this.lastByteAt = Date.now();
    });
  }

  override write(data: Buffer): void {
    // Whatever was received before a request goes out, in our buffer or still in the OS, can only be stale.
    this._client.flush((err) => {
      this._buffer = Buffer.alloc(0);
      this.bytesSinceWrite = 0;
      // A failed flush means the port is going away; the loss handler or the timeout ends the transaction.
      if (!err) super.write(data);
    });
  }

  /** Discards bytes the OS and the port still hold. */
  discardInput(): Promise<void> {
    this._buffer = Buffer.alloc(0);
    return new Promise((resolve) => {
      if (!this._client.isOpen) return resolve();
      this._client.flush(() => {
        this._buffer = Buffer.alloc(0);
        resolve();
      });
    });
  }
}

/** Time on the wire of n characters (start + data + parity + stop bits). */
function charTimeMs(opts: RtuPortOptions, n: number): number {
  const bits = 1 + opts.dataBits + (opts.parity === 'none' ? 0 : 1) + opts.stopBits;
  return (n * bits * 1000) / opts.baudRate;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function openRtuLink(opts: RtuLinkOptions): Promise<Link> {
  const portOptions: RtuPortOptions = {
    baudRate: opts.baudRate,
    parity: opts.parity,
    dataBits: opts.dataBits,
    stopBits: opts.stopBits,
  };
  const port = new GuardedRtuPort(opts.path, portOptions);
  const client = new ModbusClientClass(port);
  client.setTimeout(opts.timeoutMs);
  let lostListener: ((err: Error) => void) | undefined;
  let closing = false;
  let lostError: Error | undefined;
  const timers: { presence?: NodeJS.Timeout } = {};
  const lose = (err: Error): void => {
    if (closing || lostError) return;
    lostError = err;
    clearInterval(timers.presence);
    lostListener?.(err);
  };
  // modbus-serial re-emits port errors on the client; an 'error' event without a listener would crash the process.
  client.on('error', (err: unknown) => opts.logger.debug({ event: 'modbus.rtu.port_error', path: opts.path, err: String(err) }, 'serial port error'));
  port._client.on('close', (err: unknown) => lose(err instanceof Error ? err : new Error('serial port closed')));

  await new Promise<void>((resolve, reject) => {
    client.open((err?: unknown) => (err ? reject(errorOf(err)) : resolve()));
  });
  // Anything already waiting on a freshly opened line belongs to nobody.
  await port.discardInput();

  // When a tty is hung up (USB adapter pulled, pty master gone) serialport 13 can spin on zero-byte reads
  // without ever reporting it, so the device node itself is watched: gone or replaced means lost.
  const device = await stat(opts.path).catch(() => undefined);
  timers.presence = setInterval(() => {
    void stat(opts.path).then(
      (now) => {
        if (device && now.rdev !== device.rdev) lose(new Error(`serial device ${opts.path} was replaced`));
      },
      () => lose(new Error(`serial device ${opts.path} disappeared`)),
    );
  }, opts.presenceCheckMs ?? DEFAULT_PRESENCE_CHECK_MS);
  timers.presence.unref();

  // A frame in progress has inter-character gaps of at most 1.5 characters; waiting for a clearly longer silence
  // lets a late reply finish arriving so it can be thrown away whole.
  const quietMs = Math.max(30, Math.ceil(charTimeMs(portOptions, 20)));
  const maxWaitMs = Math.max(quietMs * 4, opts.timeoutMs);
  // After silence a slow slave's reply may still be coming: give it this long to show up and be discarded.
  const lateReplyGuardMs = Math.max(quietMs, Math.min(150, Math.ceil(opts.timeoutMs / 2)));

  return {
    client,
    onLost: (listener) => {
      lostListener = listener;
      if (lostError) listener(lostError);
    },
    bytesSeenSinceWrite: () => port.bytesSinceWrite > 0,
    recover: async (silence) => {
      const start = Date.now();
      await sleep(silence ? lateReplyGuardMs : quietMs);
      while (Date.now() - port.lastByteAt < quietMs && Date.now() - start < maxWaitMs) {
        await sleep(quietMs - (Date.now() - port.lastByteAt));
      }
      await port.discardInput();
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        clearInterval(timers.presence);
        if (!port.isOpen) return resolve();
        client.close(() => resolve());
      }),
  };
}
