import { realpath, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import type { LateReplyGuard } from './late-reply-guard.js';
import { errorOf, type Link } from './link.js';
import type { CharFormat } from './rtu-frame.js';
import { RtuTransactor } from './rtu-transactor.js';
import { ModbusError } from './types.js';

export interface RtuLinkOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly parity: 'none' | 'even' | 'odd';
  readonly dataBits: 7 | 8;
  readonly stopBits: 1 | 2;
  readonly timeoutMs: number;
  /** Outlives the link: a slave's late answer can land on a reopened port too. */
  readonly guard: LateReplyGuard;
  readonly logger: Logger;
  /** How often the device path is checked while open. */
  readonly presenceCheckMs?: number;
  /** 'auto' (default): a pty (/dev/pts/…) is virtual, anything else a real UART. */
  readonly timing?: 'auto' | 'physical' | 'virtual';
}

const DEFAULT_PRESENCE_CHECK_MS = 500;

async function isPhysical(path: string, timing: RtuLinkOptions['timing']): Promise<boolean> {
  if (timing === 'physical') return true;
  if (timing === 'virtual') return false;
  const real = await realpath(path).catch(() => path);
  return !real.startsWith('/dev/pts/');
}

/** Opens the serial port and runs Modbus RTU transactions on it with our own framing (see RtuTransactor). */
export async function openRtuLink(opts: RtuLinkOptions): Promise<Link> {
  const format: CharFormat = { baudRate: opts.baudRate, parity: opts.parity, dataBits: opts.dataBits, stopBits: opts.stopBits };
  const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate, parity: opts.parity, dataBits: opts.dataBits, stopBits: opts.stopBits, autoOpen: false });
  let lostListener: ((err: Error) => void) | undefined;
  let closing = false;
  let lostError: Error | undefined;
  const timers: { presence?: NodeJS.Timeout } = {};
  const log = opts.logger.child({ path: opts.path });

  const transactor = new RtuTransactor({
    format,
    timeoutMs: opts.timeoutMs,
    guard: opts.guard,
    physical: await isPhysical(opts.path, opts.timing),
    write: (frame) => port.write(frame),
    onStray: (e) => {
      const fields = { event: 'modbus.rtu.stray_frame', slave: e.slave, fc: e.functionCode, reason: e.reason, ...(e.lateByMs === undefined ? {} : { lateByMs: e.lateByMs }) };
      if (e.lateByMs !== undefined) log.warn(fields, `slave ${e.slave} answered ${e.lateByMs} ms after its timeout, later than its late-reply window; window widened`);
      else log.debug(fields, 'frame drained: no request of ours was waiting for it');
    },
  });

  const lose = (err: Error): void => {
    if (closing || lostError) return;
    lostError = err;
    clearInterval(timers.presence);
    transactor.abort(new ModbusError('port', err.message));
    transactor.dispose();
    lostListener?.(err);
  };
  port.on('data', (chunk: Buffer) => transactor.receive(chunk));
  // An 'error' event without a listener would crash the process; the close that follows reports the loss.
  port.on('error', (err: unknown) => log.debug({ event: 'modbus.rtu.port_error', err: String(err) }, 'serial port error'));
  port.on('close', (err: unknown) => lose(err instanceof Error ? err : new Error('serial port closed')));

  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(errorOf(err)) : resolve())));
  // Anything already waiting in the OS on a freshly opened line belongs to nobody.
  await new Promise<void>((resolve) => port.flush(() => resolve()));

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

  return {
    transact: (req) => transactor.transact(req),
    waitMs: (slave) => opts.guard.waitMs(slave, performance.now()),
    onLost: (listener) => {
      lostListener = listener;
      if (lostError) listener(lostError);
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        clearInterval(timers.presence);
        transactor.abort(new ModbusError('closed', 'link closed'));
        transactor.dispose();
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
