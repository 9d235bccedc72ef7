// A userspace link for the backup-upload tests: a TCP proxy in the test process between the box and the hub that
// paces box → hub at a capped rate (a backup goes upstream), counts the bytes the hub receives, can cut every
// connection and refuse new ones until it is restored (this kernel has no netem), and can flip one bit of the body
// of the next backup chunk request (corruption in transit).
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface BackupLink {
  readonly url: string;
  /** Bytes the hub received through the link (request heads and bodies). */
  readonly toHub: number;
  cut(): void;
  restore(): void;
  /** Flips one bit of body byte `at` of the next `PUT …/file` request. */
  flipNextChunk(at: number): void;
  readonly flipped: number;
  close(): Promise<void>;
}

export async function startBackupLink(target: { host: string; port: number }, bytesPerSecond: number): Promise<BackupLink> {
  let toHub = 0;
  let down = false;
  let flipAt: number | undefined;
  let flipped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const hub = createConnection(target);
    sockets.add(client).add(hub);
    const queue: Buffer[] = [];
    // Request parsing for the flip: the head's end, then the body's bytes counted.
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    let bodyAt = 0;
    let flipThis: number | undefined;
    const mangle = (d: Buffer): Buffer => {
      const out = Buffer.from(d);
      let i = 0;
      while (i < out.length) {
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, out.length - i);
          if (flipThis !== undefined && flipThis >= bodyAt && flipThis < bodyAt + take) {
            const k = i + (flipThis - bodyAt);
            out[k] = (out[k] as number) ^ 0x01;
            flipped += 1;
            flipThis = undefined;
          }
          bodyAt += take;
          bodyLeft -= take;
          i += take;
          continue;
        }
        head = Buffer.concat([head, out.subarray(i, i + 1)]);
        i += 1;
        if (head.subarray(-4).toString('latin1') === '\r\n\r\n') {
          const text = head.toString('latin1');
          bodyLeft = Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? 0);
          bodyAt = 0;
          if (flipAt !== undefined && /^PUT [^ ]*\/file\?/.test(text) && bodyLeft > flipAt) {
            flipThis = flipAt;
            flipAt = undefined;
          }
          head = Buffer.alloc(0);
        }
      }
      return out;
    };
    client.on('data', (d: Buffer) => {
      queue.push(mangle(d));
      if (queue.length > 64) client.pause();
    });
    const timer = setInterval(() => {
      let budget = Math.max(1, Math.round((bytesPerSecond * 20) / 1000));
      while (budget > 0 && queue.length > 0) {
        const first = queue[0] as Buffer;
        const part = first.subarray(0, budget);
        if (!hub.destroyed) hub.write(part);
        toHub += part.byteLength;
        budget -= part.byteLength;
        if (part.byteLength === first.byteLength) queue.shift();
        else queue[0] = first.subarray(part.byteLength);
      }
      if (queue.length <= 64 && client.isPaused()) client.resume();
    }, 20);
    hub.on('data', (d: Buffer) => {
      if (!client.destroyed) client.write(d);
    });
    const end = (): void => {
      clearInterval(timer);
      client.destroy();
      hub.destroy();
      sockets.delete(client);
      sockets.delete(hub);
    };
    client.on('error', end).on('close', end);
    hub.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get toHub() {
      return toHub;
    },
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    flipNextChunk(at) {
      flipAt = at;
    },
    get flipped() {
      return flipped;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
