import { createConnection, createServer, type Socket } from 'node:net';

export interface ClosingTcpGatewayOptions {
  /** The Modbus TCP slave behind the gateway (e.g. pymodbus started with endpoint kind 'tcp'). */
  readonly target: { readonly host: string; readonly port: number };
  /** Close the client's connection (FIN) right after forwarding each reply. Default true. */
  readonly closeAfterEachReply?: boolean;
  /** Also close the client's connection after this long with no bytes either way. Default: never. */
  readonly idleCloseMs?: number;
}

export interface ClosingTcpGateway {
  /** Always 127.0.0.1. */
  readonly host: string;
  /** A free port picked by the OS. */
  readonly port: number;
  /** Client connections accepted so far. */
  connections(): number;
  /** Complete request frames (by MBAP length) forwarded to the slave so far. */
  requests(): number;
  /** Complete reply frames forwarded to clients so far. */
  replies(): number;
  /** Client connections the gateway closed itself (after a reply or when idle). */
  closedByGateway(): number;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

const MBAP_HEADER = 7;

/**
 * Splits a Modbus TCP byte stream into frames by the MBAP length field. Returns undefined when the header is
 * impossible (length field outside 2..254), which a gateway treats as garbage and drops the connection.
 */
class MbapFramer {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] | undefined {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    while (this.buf.length >= 6) {
      const len = this.buf.readUInt16BE(4);
      if (len < 2 || len > 254) return undefined;
      const total = 6 + len;
      if (this.buf.length < total) break;
      frames.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    return frames;
  }
}

/**
 * A TCP proxy in front of a Modbus TCP slave that behaves like a cheap serial-to-Ethernet gateway: it listens on
 * 127.0.0.1, opens one connection to the slave per client, forwards whole MBAP frames both ways, and (by default)
 * closes the client's connection right after forwarding each reply. A pipelined second request on the same
 * connection may reach the slave, but its reply is lost with the connection, as on such a gateway.
 */
export async function startClosingTcpGateway(opts: ClosingTcpGatewayOptions): Promise<ClosingTcpGateway> {
  const closeAfterEachReply = opts.closeAfterEachReply ?? true;
  const sockets = new Set<Socket>();
  let accepted = 0;
  let forwardedRequests = 0;
  let forwardedReplies = 0;
  let closedByUs = 0;

  const server = createServer((client) => {
    accepted++;
    sockets.add(client);
    client.setNoDelay(true);
    const upstream = createConnection({ host: opts.target.host, port: opts.target.port });
    upstream.setNoDelay(true);
    sockets.add(upstream);
    let closing = false;
    let idle: NodeJS.Timeout | undefined;

    const teardown = (): void => {
      clearTimeout(idle);
      upstream.destroy();
      client.destroy();
    };
    const closeClient = (): void => {
      if (closing) return;
      closing = true;
      closedByUs++;
      clearTimeout(idle);
      // FIN after the reply bytes; the slave side goes at once.
      client.end(() => client.destroy());
      upstream.destroy();
    };
    const touch = (): void => {
      if (opts.idleCloseMs === undefined || closing) return;
      clearTimeout(idle);
      idle = setTimeout(closeClient, opts.idleCloseMs);
    };
    touch();

    const fromClient = new MbapFramer();
    client.on('data', (chunk: Buffer) => {
      if (closing) return;
      touch();
      const frames = fromClient.push(chunk);
      if (!frames) return teardown();
      for (const f of frames) {
        if (f.length < MBAP_HEADER + 1) continue;
        forwardedRequests++;
        upstream.write(f);
      }
    });

    const fromSlave = new MbapFramer();
    upstream.on('data', (chunk: Buffer) => {
      if (closing) return;
      touch();
      const frames = fromSlave.push(chunk);
      if (!frames) return teardown();
      for (const f of frames) {
        forwardedReplies++;
        client.write(f);
        if (closeAfterEachReply) {
          closeClient();
          return;
        }
      }
    });

    client.on('close', () => {
      sockets.delete(client);
      teardown();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (!closing) teardown();
    });
    client.on('error', () => teardown());
    upstream.on('error', () => teardown());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (typeof addr !== 'object' || addr === null) throw new Error('gateway has no address');

  let closed: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: addr.port,
    connections: () => accepted,
    requests: () => forwardedRequests,
    replies: () => forwardedReplies,
    closedByGateway: () => closedByUs,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
