// A slow link for the content tests: a TCP proxy in the test process that forwards box → hub at once and hub → box
// at a capped rate, counts, per connection, the bytes the hub sent (and the request line that opened it, so content
// connections are told from the push loop's), and can flip one byte of the next content answer's body (a corrupted
// download the sha256 must catch). Cutting is done by killing a process; the proxy itself stays up.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface LinkConnection {
  firstLine: string;
  /** Bytes the hub sent on this connection (answer heads and bodies). */
  fromHub: number;
}

export interface ContentLink {
  readonly port: number;
  readonly url: string;
  readonly connections: LinkConnection[];
  /** Bytes the hub sent on connections that asked for `/api/v1/content/<sha256>/bytes`. */
  contentBytes(sha256: string): number;
  /** Flips one bit of body byte `at` of the next content answer (206) that is that long. */
  flipNext(at: number): void;
  readonly flipped: number;
  setRate(bytesPerSecond: number): void;
  close(): Promise<void>;
}

export async function startContentLink(target: { host: string; port: number }, bytesPerSecond: number): Promise<ContentLink> {
  let rate = bytesPerSecond;
  let flipAt: number | undefined;
  let flipped = 0;
  const connections: LinkConnection[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const hub = createConnection(target);
    sockets.add(client).add(hub);
    const conn: LinkConnection = { firstLine: '', fromHub: 0 };
    connections.push(conn);
    let head = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      if (conn.firstLine === '') {
        head = Buffer.concat([head, d]);
        const nl = head.indexOf('\r\n');
        if (nl >= 0) conn.firstLine = head.subarray(0, nl).toString('latin1');
      }
      hub.write(d);
    });
    // Hub → box, paced: a queue drained every 20 ms by rate × 20 ms.
    const queue: Buffer[] = [];
    let queued = 0;
    let bodyAt: number | undefined;
    let answerHead = Buffer.alloc(0);
    let flipThis: number | undefined;
    const corrupt = (d: Buffer): Buffer => {
      // Find the end of the first answer head; then count body bytes and flip one if armed.
      if (bodyAt === undefined) {
        answerHead = Buffer.concat([answerHead, d]);
        const end = answerHead.indexOf('\r\n\r\n');
        if (end < 0) return d;
        const headText = answerHead.subarray(0, end).toString('latin1');
        bodyAt = 0;
        if (flipAt !== undefined && /^HTTP\/1\.1 206/.test(headText) && conn.firstLine.includes('/api/v1/content/')) {
          const len = Number(/content-length: (\d+)/i.exec(headText)?.[1] ?? 0);
          if (len > flipAt) {
            flipThis = flipAt;
            flipAt = undefined;
          }
        }
        const bodyStart = end + 4 - (answerHead.length - d.length);
        const out = Buffer.from(d);
        for (let i = Math.max(0, bodyStart); i < out.length; i += 1) {
          if (flipThis !== undefined && bodyAt === flipThis) {
            out[i] = (out[i] as number) ^ 0x01;
            flipped += 1;
            flipThis = undefined;
          }
          bodyAt += 1;
        }
        return out;
      }
      if (flipThis === undefined) return d;
      const out = Buffer.from(d);
      for (let i = 0; i < out.length; i += 1) {
        if (bodyAt === flipThis) {
          out[i] = (out[i] as number) ^ 0x01;
          flipped += 1;
          flipThis = undefined;
        }
        bodyAt += 1;
      }
      return out;
    };
    hub.on('data', (d: Buffer) => {
      conn.fromHub += d.byteLength;
      queue.push(corrupt(d));
      queued += d.byteLength;
      if (queued > 256 * 1024) hub.pause();
    });
    const timer = setInterval(() => {
      let budget = Math.max(1, Math.round((rate * 20) / 1000));
      while (budget > 0 && queue.length > 0) {
        const first = queue[0] as Buffer;
        const part = first.subarray(0, budget);
        if (!client.destroyed) client.write(part);
        budget -= part.byteLength;
        queued -= part.byteLength;
        if (part.byteLength === first.byteLength) queue.shift();
        else queue[0] = first.subarray(part.byteLength);
      }
      if (queued <= 256 * 1024 && hub.isPaused()) hub.resume();
      if (queue.length === 0 && hubEnded && !client.destroyed) client.end();
    }, 20);
    let hubEnded = false;
    hub.on('end', () => (hubEnded = true));
    const end = (): void => {
      clearInterval(timer);
      client.destroy();
      hub.destroy();
      sockets.delete(client);
      sockets.delete(hub);
    };
    client.on('error', end).on('close', end);
    hub.on('error', end).on('close', () => {
      if (queue.length === 0) end();
      else hubEnded = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections,
    contentBytes: (sha256) => connections.filter((c) => c.firstLine.includes(`/api/v1/content/${sha256}/bytes`)).reduce((n, c) => n + c.fromHub, 0),
    flipNext(at) {
      flipAt = at;
    },
    get flipped() {
      return flipped;
    },
    setRate(r) {
      rate = r;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
