// The hub's content store on both back ends (SQLite and a throwaway PostgreSQL cluster): publications by path (a
// path's new file withdraws the old one in the same transaction), withdrawal, who may fetch which bytes; the blob
// store (bytes once by sha256, written to a temp file and renamed, a size limit that keeps nothing); and the
// manifests the hub issues, through publishContent with an order port that records what it is asked to issue.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BlobTooLarge, storeBlob } from '../../hub/content/blob-store.js';
import { HubContentStore } from '../../hub/content/content-store.js';
import { manifestOrders } from '../../hub/content/manifests.js';
import { publishContent, withdrawContent, type ManifestOrderRequest } from '../../hub/content/publish.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { backends, title, type Fixture } from './backends.js';

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

describe.each(BACKENDS.map((b) => [title(b), b] as const))('hub content store on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(skip)('a path has one current file: publishing again withdraws the old one; withdraw; who may fetch', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    const content = new HubContentStore(store.sql);
    const one = await content.publish({ sha256: A, size: 10, path: 'media/a.mp3', title: '防汛广播', mediaType: 'audio/mpeg', by: 'duty1' }, 1000);
    expect(one.replaced).toBeUndefined();
    expect(one.file).toMatchObject({ sha256: A, size: 10, path: 'media/a.mp3', title: '防汛广播', mediaType: 'audio/mpeg', to: null, publishedAt: 1000, by: 'duty1', withdrawnAt: null });
    await content.publish({ sha256: B, size: 20, path: 'b.txt', to: ['box-2', 'box-1'], by: 'duty1' }, 1100);
    const again = await content.publish({ sha256: C, size: 30, path: 'media/a.mp3', by: 'duty2' }, 1200);
    expect(again.replaced).toMatchObject({ sha256: A, withdrawnAt: 1200 });
    expect((await content.current()).map((f) => [f.path, f.sha256, f.to])).toEqual([
      ['b.txt', B, ['box-1', 'box-2']],
      ['media/a.mp3', C, null],
    ]);
    // A withdrawn file's bytes may still be fetched (a box may be finishing it); another box's may not.
    expect(await content.mayFetch(A, 'box-9')).toBe(true);
    expect(await content.mayFetch(B, 'box-1')).toBe(true);
    expect(await content.mayFetch(B, 'box-9')).toBe(false);
    expect(await content.mayFetch('d'.repeat(64), 'box-1')).toBe(false);
    expect(await content.withdraw('b.txt', 1300)).toMatchObject({ sha256: B, withdrawnAt: 1300 });
    expect(await content.withdraw('b.txt', 1400)).toBeUndefined();
    expect((await content.current()).map((f) => f.path)).toEqual(['media/a.mp3']);
  });

  it.skipIf(skip)('publishContent stores the bytes once and issues the manifest of the complete set; withdrawing issues it again', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    const dir = mkdtempSync(join(tmpdir(), 'fenghuo-content-'));
    dirs.push(dir);
    const asked: ManifestOrderRequest[] = [];
    const deps = {
      store,
      contentDir: dir,
      maxContentBytes: 1000,
      log: silentLogger(),
      clock: () => 5000,
      issue: async (req: ManifestOrderRequest) => {
        asked.push(req);
        return { id: `o${asked.length}` };
      },
    };
    const first = await publishContent(deps, Readable.from([Buffer.from('hello ')]), { path: 'hello.txt', title: 'Hello', by: 'duty' });
    expect(first.orders).toEqual([{ id: 'o1' }]);
    await publishContent(deps, Readable.from([Buffer.from('hello ')]), { path: 'copy/hello.txt', by: 'duty' });
    expect(readdirSync(dir)).toEqual([first.file.sha256]);
    expect(readFileSync(join(dir, first.file.sha256), 'utf8')).toBe('hello ');
    expect(asked.at(-1)).toMatchObject({ kind: 'content_manifest', to: '*', by: 'duty', body: { files: [{ path: 'copy/hello.txt' }, { path: 'hello.txt', title: 'Hello', size: 6, sha256: first.file.sha256 }] } });
    expect(asked.at(-1)?.ttl).toBe(30 * 24 * 3600_000);
    await withdrawContent(deps, 'hello.txt', 'duty');
    expect(asked.at(-1)?.body.files.map((f) => f.path)).toEqual(['copy/hello.txt']);
    await expect(publishContent(deps, Readable.from([Buffer.alloc(1001)]), { path: 'big.bin', by: 'duty' })).rejects.toBeInstanceOf(BlobTooLarge);
    expect(readdirSync(dir)).toEqual([first.file.sha256]);
    await expect(publishContent(deps, Readable.from([Buffer.from('x')]), { path: '../etc/passwd', by: 'duty' })).rejects.toThrow(/path/);
  });
});

describe('the manifests the hub issues', () => {
  const f = (id: number, path: string, to: string[] | null) => ({ id, sha256: A, size: id, path, title: null, mediaType: null, to, publishedAt: 0, by: 'x', withdrawnAt: null });

  it('one order to every box while no file is for particular boxes', () => {
    expect(manifestOrders([f(1, 'b', null), f(2, 'a', null)], ['box-1'])).toEqual([{ to: '*', files: [{ path: 'a', size: 2, sha256: A }, { path: 'b', size: 1, sha256: A }] }]);
    expect(manifestOrders([], [])).toEqual([{ to: '*', files: [] }]);
  });

  it('with files for particular boxes, each box gets exactly its set and no order goes to every box', () => {
    const plans = manifestOrders([f(1, 'all', null), f(2, 'mine', ['box-2']), f(3, 'ours', ['box-2', 'box-3'])], ['box-1', 'box-2', 'box-4']);
    const byBox = (box: string) => plans.find((p) => p.to !== '*' && p.to.includes(box))?.files.map((x) => x.path);
    expect(plans.some((p) => p.to === '*')).toBe(false);
    expect(byBox('box-1')).toEqual(['all']);
    expect(byBox('box-4')).toEqual(['all']);
    expect(byBox('box-2')).toEqual(['all', 'mine', 'ours']);
    expect(byBox('box-3')).toEqual(['all', 'ours']);
    expect(plans).toHaveLength(3);
  });

  it('storeBlob refuses more than the limit and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fenghuo-blob-'));
    try {
      await expect(storeBlob(dir, Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000)).rejects.toBeInstanceOf(BlobTooLarge);
      expect(readdirSync(dir)).toEqual([]);
      const stored = await storeBlob(dir, Readable.from([Buffer.from('abc')]), 1000);
      expect(stored).toEqual({ sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', size: 3, created: true });
      expect((await storeBlob(dir, Readable.from([Buffer.from('abc')]), 1000)).created).toBe(false);
      expect(readdirSync(dir)).toEqual([stored.sha256]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
