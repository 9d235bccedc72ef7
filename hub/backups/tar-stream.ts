/**
 * A backup folder as a POSIX ustar stream (what `GET /api/v1/boxes/{id}/backups/{name}/archive` sends): the folder
 * `<name>/` and every file the manifest lists, manifest.json first, read from disk as the stream is consumed (never
 * held whole). `tar -xf` unpacks it into `<name>/`, which `fenghuo restore <name>` takes as it is.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header; `name` must fit (a backup's paths are short: checked). */
export function tarHeader(name: string, size: number, mtimeS: number, type: 'file' | 'dir'): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(type === 'dir' ? 0o700 : 0o600, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(type === 'dir' ? 0 : size, 12), 124, 12, 'ascii');
  h.write(octal(Math.max(0, Math.floor(mtimeS)), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(type === 'dir' ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);

/** The folder `dir`, named `name` in the archive, with `files` (relative, `/`-separated) in that order. */
export async function* tarFolder(dir: string, name: string, files: readonly string[]): AsyncGenerator<Buffer> {
  const dirs = new Set<string>([`${name}/`]);
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i += 1) dirs.add(`${name}/${parts.slice(0, i).join('/')}/`);
  }
  const now = Date.now() / 1000;
  for (const d of [...dirs].sort()) yield tarHeader(d, 0, now, 'dir');
  for (const f of files) {
    const path = join(dir, ...f.split('/'));
    const st = await stat(path);
    yield tarHeader(`${name}/${f}`, st.size, st.mtimeMs / 1000, 'file');
    let sent = 0;
    for await (const chunk of createReadStream(path, { end: Math.max(0, st.size - 1) })) {
      if (st.size === 0) break;
      const b = chunk as Buffer;
      sent += b.byteLength;
      yield b;
    }
    if (sent !== st.size) throw new Error(`tar: ${f} changed while it was read`);
    yield padding(st.size);
  }
  yield Buffer.alloc(BLOCK * 2, 0);
}
