import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { classifyLibError } from './classify-error.js';
import { errorOf, type Link } from './link.js';
import { ModbusClientClass, TcpPortClass, type ModbusClient } from './modbus-serial-lib.js';
import { ModbusError, type ReadRequest } from './types.js';

export interface TcpLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** Gives up on a connection attempt after this long (a black-holed host never refuses). */
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
}

function connectSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
    socket.connect({ host, port }, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/**
 * We own the socket and hand it to modbus-serial's TcpPort, so a lost connection is seen on the socket itself:
 * TcpPort stops emitting `close` after a socket error (ECONNRESET), which would leave the bus believing it is open.
 * Late replies are harmless on TCP: modbus-serial matches replies to requests by MBAP transaction id.
 */
export async function openTcpLink(opts: TcpLinkOptions): Promise<Link> {
  const socket = await connectSocket(opts.host, opts.port, opts.connectTimeoutMs);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 10_000);
  let lostListener: ((err: Error) => void) | undefined;
  let closing = false;
  let lastError: Error | undefined;
  let lostError: Error | undefined;
  socket.on('error', (err) => {
    lastError = err;
  });
  socket.on('close', () => {
    if (closing) return;
    lostError = lastError ?? new Error(`connection to ${opts.host}:${opts.port} closed by peer`);
    lostListener?.(lostError);
  });

  const port = new TcpPortClass({ socket });
  const client = new ModbusClientClass(port);
  client.setTimeout(opts.timeoutMs);
  client.on('error', (err: unknown) => opts.logger.debug({ event: 'modbus.tcp.socket_error', host: opts.host, port: opts.port, err: String(err) }, 'socket error'));
  await new Promise<void>((resolve, reject) => {
    client.open((err?: unknown) => (err ? reject(errorOf(err)) : resolve()));
  }).catch((err: unknown) => {
    closing = true;
    socket.destroy();
    throw err;
  });

  return {
    transact: (req) => transact(client, req),
    waitMs: () => 0,
    onLost: (listener) => {
      lostListener = listener;
      if (lostError) listener(lostError);
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

function transact(client: ModbusClient, req: ReadRequest): Promise<number[]> {
  return new Promise<number[]>((resolve, reject) => {
    const write = req.functionCode === 3 ? client.writeFC3 : client.writeFC4;
    try {
      write.call(client, req.slave, req.address, req.count, (err, res) => {
        if (err) reject(classifyLibError(err));
        else if (res.data.length !== req.count) reject(new ModbusError('crc', `bad frame: ${res.data.length} registers for ${req.count} asked`));
        else resolve(res.data);
      });
    } catch (err) {
      reject(classifyLibError(err));
    }
  });
}
