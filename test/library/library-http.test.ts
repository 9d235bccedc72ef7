import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libraryConfigSchema } from '../../broadcast/library/library-config.js';
import { configSchema } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import { createApp } from '../../node-daemon/http/app.js';
import type { LibraryImportReport, LibraryItem, LibraryPage } from '../../node-daemon/http/contract.js';
import { setUpLibrary } from '../../node-daemon/library/library-module.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { ContentTable } from '../../node-daemon/sync/content/content-table.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!hasFfmpeg) console.log('SKIPPED test/library/library-http.test.ts: no ffmpeg on PATH (apt-get install ffmpeg); the MP4 seek and the video checks need it');

/** A minimal whole PDF: header, one object, an xref table that startxref points at, %%EOF. */
function pdf(text: string): Buffer {
  const body = `%PDF-1.4\n1 0 obj\n<< /Title (${text}) >>\nendobj\n`;
  return Buffer.from(`${body}xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 >>\nstartxref\n${body.length}\n%%EOF\n`, 'latin1');
}

function mp4(path: string, seconds: number, faststart: boolean): void {
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', ...(faststart ? ['-movflags', '+faststart'] : []), path]);
}

describe.skipIf(!hasFfmpeg)('library over HTTP: USB import, Range seeks, inline PDFs', () => {
  let dir: string;
  let db: Db;
  let app: ReturnType<typeof createApp>;
  let stick: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-library-http-'));
    const data = join(dir, 'data');
    const mounts = join(dir, 'media');
    stick = join(mounts, 'usb0', '农技资料');
    ({ db } = openDatabase({ dataDir: data, log: silentLogger() }));
    const log = silentLogger();
    const config = configSchema.parse({});
    const library = setUpLibrary({ db, dataDir: data, config: libraryConfigSchema.parse({ usbMounts: [mounts] }), log, clock: () => Date.UTC(2025, 4, 1), content: new ContentTable(db) });
    const registry = new StatusRegistry({ config, hub: new EventHub(), busCounters: new Map(), storageStatus: () => ({ pendingWrites: 0 }), dataDir: data });
    app = createApp({ sensors: [], health: registry, readings: new SqliteReadingsReader(db), log, library: library.service });

    // The stick: a folder per category; one good video, a copy of it under another name, a video and a PDF cut short.
    mkdirSync(join(stick, '种植技术'), { recursive: true });
    mkdirSync(join(stick, '植保'), { recursive: true });
    mkdirSync(join(stick, '通知'), { recursive: true });
    mp4(join(stick, '种植技术', '玉米种植技术.mp4'), 4, true);
    copyFileSync(join(stick, '种植技术', '玉米种植技术.mp4'), join(stick, '种植技术', '玉米种植技术（副本）.mp4'));
    mp4(join(dir, 'whole.mp4'), 4, false);
    const whole = readFileSync(join(dir, 'whole.mp4'));
    writeFileSync(join(stick, '种植技术', '小麦管理.mp4'), whole.subarray(0, Math.floor(whole.length / 2))); // moov atom lost
    writeFileSync(join(stick, '植保', '病虫害防治手册.pdf'), pdf('bingchonghai'));
    const cut = pdf('cut');
    writeFileSync(join(stick, '植保', '农药使用说明.pdf'), cut.subarray(0, cut.length - 40));
    writeFileSync(join(stick, '通知', '春耕通知.txt'), '各村注意春耕用水安排。');
    writeFileSync(join(stick, '通知', 'setup.exe'), Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'latin1'));
    writeFileSync(join(stick, '.hidden.mp4'), 'not looked at');
  }, 120_000);
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown): Promise<Response> => Promise.resolve(app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));

  it('imports the folder: reports the duplicate and both corrupt files, imports the rest', async () => {
    const res = await post('/api/v1/library/import', { path: stick });
    expect(res.status).toBe(200);
    const report = (await res.json()) as LibraryImportReport;
    expect(report.imported.map((i) => [i.file, i.kind]).sort()).toEqual([
      ['植保/病虫害防治手册.pdf', 'pdf'],
      ['种植技术/玉米种植技术.mp4', 'video'],
      ['通知/春耕通知.txt', 'notice'],
    ]);
    // Files go in name order: the original is in the library by the time its copy is read.
    expect(report.duplicates).toMatchObject([{ file: '种植技术/玉米种植技术（副本）.mp4', sameAs: expect.stringMatching(/^library item \d+ 「玉米种植技术」$/) as unknown }]);
    expect(report.corrupt.map((c) => c.file).sort()).toEqual(['植保/农药使用说明.pdf', '种植技术/小麦管理.mp4']);
    expect(report.corrupt.find((c) => c.file.endsWith('.pdf'))?.problem).toMatch(/%%EOF/);
    expect(report.corrupt.find((c) => c.file.endsWith('.mp4'))?.problem).toMatch(/moov|Invalid data/);
    expect(report.skipped.map((s) => s.file)).toEqual(['通知/setup.exe']);
    // Only whole, new files landed; nothing half-copied is left.
    const stored = readdirSync(join(dir, 'data', 'library')).sort();
    expect(stored.filter((f) => f !== '.partial')).toHaveLength(3);
    expect(readdirSync(join(dir, 'data', 'library', '.partial'))).toEqual([]);

    // Importing again: every good file is now a duplicate of a library item.
    const again = (await (await post('/api/v1/library/import', { path: stick })).json()) as LibraryImportReport;
    expect(again.imported).toEqual([]);
    expect(again.duplicates.map((d) => d.sameAs)).toEqual(expect.arrayContaining([expect.stringMatching(/^library item \d+ 「玉米种植技术」$/)]));
  }, 120_000);

  it('refuses a folder outside library.usbMounts, naming the param', async () => {
    const res = await post('/api/v1/library/import', { path: dir });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'bad_request', param: 'path' } });
  });

  it('finds the imports in Chinese and serves a seek into the MP4 as 206 with the right bytes', async () => {
    const page = (await (await app.request(`/api/v1/library?q=${encodeURIComponent('玉米')}`)).json()) as LibraryPage;
    expect(page.items.map((i) => i.title)).toEqual(['玉米种植技术']);
    const video = page.items[0] as LibraryItem;
    const bytes = readFileSync(join(stick, '种植技术', '玉米种植技术.mp4'));
    expect(video).toMatchObject({ kind: 'video', category: '种植技术', source: 'usb', size: bytes.length, mediaType: 'video/mp4' });

    const start = Math.floor(bytes.length / 2);
    const seek = await app.request(video.fileUrl, { headers: { Range: `bytes=${start}-${start + 999}` } });
    expect(seek.status).toBe(206);
    expect(seek.headers.get('content-range')).toBe(`bytes ${start}-${start + 999}/${bytes.length}`);
    expect(seek.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await seek.arrayBuffer()).equals(bytes.subarray(start, start + 1000))).toBe(true);

    const tail = await app.request(video.fileUrl, { headers: { Range: `bytes=${bytes.length - 10}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);
    const past = await app.request(video.fileUrl, { headers: { Range: `bytes=${bytes.length + 5}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    const whole = await app.request(video.fileUrl);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('serves a PDF inline, found by a phrase; deletes an import and its file', async () => {
    const page = (await (await app.request(`/api/v1/library?q=${encodeURIComponent('病虫害防治')}&kind=pdf`)).json()) as LibraryPage;
    expect(page.items.map((i) => i.title)).toEqual(['病虫害防治手册']);
    const item = page.items[0] as LibraryItem;
    const res = await app.request(item.fileUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename*=UTF-8''${encodeURIComponent('病虫害防治手册.pdf')}`);
    expect((await app.request(`/api/v1/library/${item.id}`)).status).toBe(200);

    const del = await app.request(`/api/v1/library/${item.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await app.request(`/api/v1/library/${item.id}`)).status).toBe(404);
    expect(existsSync(join(dir, 'data', 'library', `${item.sha256}.pdf`))).toBe(false);
    expect((await app.request(`/api/v1/library/${item.id}/file`)).status).toBe(404);
  });

  it('validates the query, naming the parameter', async () => {
    const res = await app.request('/api/v1/library?kind=movie');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'kind' } });
  });
});
