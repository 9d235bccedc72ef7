// The demo's pty pairs (node-daemon/sim/pty-pair.ts) on the wire: real serialport handles on both symlinks, bytes
// both ways, through the Python bridge (forced even when socat is installed) and through socat; close() and the
// death of the bridge's parent leave no process and no link behind.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { choosePtyBridge, createPtyPair, findOnPath, ptyBridgeScript, PtyPairError, type PtyBridgeKind } from '../../node-daemon/sim/pty-pair.js';
import { linkExists, waitFor } from '../helpers/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-ptypair-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => undefined);
  cleanups.push(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
  return port;
}

/** Collects what arrives on a port until `n` bytes are there. */
function receive(port: SerialPort, n: number, timeoutMs = 10_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      port.off('data', onData);
      reject(new Error(`received ${got} of ${n} bytes`));
    }, timeoutMs);
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        clearTimeout(timer);
        port.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    port.on('data', onData);
  });
}

/** Whether any process of this process group is left (the bridge runs in a group of its own). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** Every byte value, then a pseudo-random stretch (well over the bridge's single reads and the pty buffers). */
function payload(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    buf[i] = i < 256 ? i : x >>> 24;
  }
  return buf;
}

describe.each<PtyBridgeKind>(['python', 'socat'])('createPtyPair via %s', (via) => {
  it('carries bytes both ways, unchanged (all 256 values, 100 kB each way at once)', async () => {
    const dir = tempDir();
    const pair = await createPtyPair({ dir, names: ['io-a', 'io-b'], via });
    cleanups.push(() => pair.close());
    expect(pair.via).toBe(via);
    expect(pair.a).toBe(join(dir, 'io-a'));
    expect(lstatSync(pair.a).isSymbolicLink()).toBe(true);
    expect(lstatSync(pair.b).isSymbolicLink()).toBe(true);

    const a = await openPort(pair.a);
    const b = await openPort(pair.b);
    const small = Buffer.from([0x00, 0x0a, 0x0d, 0x03, 0x04, 0x11, 0x13, 0x7f, 0x80, 0xf0, 0xff]);
    const gotB = receive(b, small.length);
    a.write(small);
    expect(await gotB).toEqual(small);

    const toB = payload(100_000, 1);
    const toA = payload(100_000, 2);
    const atB = receive(b, toB.length);
    const atA = receive(a, toA.length);
    a.write(toB);
    b.write(toA);
    expect((await atB).equals(toB)).toBe(true);
    expect((await atA).equals(toA)).toBe(true);
  });

  it('close() with both ends open: the bridge and its whole process group are gone, and so are the links', async () => {
    const dir = tempDir();
    const pair = await createPtyPair({ dir, via });
    const a = await openPort(pair.a);
    await openPort(pair.b);
    expect(pair.alive()).toBe(true);
    expect(groupAlive(pair.pid)).toBe(true);

    await pair.close();
    expect(pair.alive()).toBe(false);
    await waitFor(() => !groupAlive(pair.pid), 'the bridge process group to be gone');
    expect(linkExists(pair.a)).toBe(false);
    expect(linkExists(pair.b)).toBe(false);
    await pair.close(); // idempotent
    // The open handle on a vanished pty is harmless: writing to it errors, it does not crash the test process.
    a.write(Buffer.from([1, 2, 3]));

    // The same paths can be made again at once.
    const again = await createPtyPair({ dir, via });
    cleanups.push(() => again.close());
    const a2 = await openPort(again.a);
    const b2 = await openPort(again.b);
    const got = receive(a2, 3);
    b2.write(Buffer.from([7, 8, 9]));
    expect([...(await got)]).toEqual([7, 8, 9]);
  });
});

describe('the Python bridge on its own', () => {
  it('exits and removes its links when its parent dies (stdin pipe closed by the kernel)', async () => {
    const dir = tempDir();
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    // A parent process that starts the bridge as pty-pair.ts does (own process group, stdin a pipe), passes the
    // ready line on, and is then SIGKILLed: it gets no chance to clean up.
    const parentJs = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.argv[1], ['-I', process.argv[2], process.argv[3], process.argv[4]],
        { detached: true, stdio: ['pipe', 'inherit', 'inherit'] });
      setInterval(() => {}, 1000);`;
    const python = findOnPath('python3');
    expect(python).toBeDefined();
    const parent = spawn(process.execPath, ['-e', parentJs, python!, ptyBridgeScript(), a, b], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void parent.kill('SIGKILL'));
    const line = await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once('line', resolve));
    const ready = JSON.parse(line) as { ready: boolean; pid: number; a: string; b: string };
    expect(ready).toMatchObject({ ready: true, a: expect.stringMatching(/^\/dev\/pts\/\d+$/), b: expect.stringMatching(/^\/dev\/pts\/\d+$/) });
    expect(linkExists(a) && linkExists(b)).toBe(true);
    cleanups.push(() => {
      if (groupAlive(ready.pid)) process.kill(-ready.pid, 'SIGKILL');
    });

    parent.kill('SIGKILL');
    await waitFor(() => !groupAlive(ready.pid), 'the orphaned bridge to exit');
    expect(linkExists(a)).toBe(false);
    expect(linkExists(b)).toBe(false);
  });

  it('a failure before ready is a PtyPairError carrying the bridge\'s own message', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'b')); // a directory where the link must go: the rename cannot replace it
    const err = await createPtyPair({ dir, via: 'python' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PtyPairError);
    expect((err as PtyPairError).code).toBe('not_ready');
    expect((err as PtyPairError).message).toMatch(/python pty bridge exited \(code 1\) before it was ready: pty-bridge: .*Is a directory/);
    // It cleaned up the link it had placed.
    expect(linkExists(join(dir, 'a'))).toBe(false);
  });
});

describe('choosePtyBridge', () => {
  function binDir(tools: string[]): string {
    const dir = tempDir();
    for (const t of tools) symlinkSync(findOnPath(t)!, join(dir, t));
    return dir;
  }

  it('prefers socat, falls back to python3, and says what is missing', () => {
    expect(choosePtyBridge('auto', binDir(['socat', 'python3']))).toMatchObject({ via: 'socat' });
    const onlyPython = binDir(['python3']);
    expect(choosePtyBridge('auto', onlyPython)).toEqual({ via: 'python', tool: join(onlyPython, 'python3') });
    expect(choosePtyBridge('python', binDir(['socat', 'python3']))).toMatchObject({ via: 'python' });
    expect(() => choosePtyBridge('socat', onlyPython)).toThrow('socat not found on PATH');
    expect(() => choosePtyBridge('auto', binDir([]))).toThrow("neither socat nor python3 found: the demo's outputs are off");
  });

  it('createPtyPair rejects with no_tool and starts nothing when neither is found', async () => {
    const dir = tempDir();
    const err = await createPtyPair({ dir: join(dir, 'demo'), searchPath: binDir([]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PtyPairError);
    expect((err as PtyPairError).code).toBe('no_tool');
    expect(existsSync(join(dir, 'demo'))).toBe(false);
  });
});
