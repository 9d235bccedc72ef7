// The browser copy of a satellite recording, made by makeBrowserCopy from real MPEG-TS segments (ffmpeg's segment
// muxer, as the recorder writes them), and played in Debian's chromium (headless, playwright-core, the browser tests'
// launcher). Broadcast audio is MP2 or AC-3, not AAC:
// - H.264 + MP2: the copy keeps the video stream-copied (same packets, same decoded pictures) and has AAC audio, which
//   plays to `ended` with sound (decoded bytes, and samples through WebAudio). Debian's chromium does decode MP2 in
//   MP4 (logged below, not asserted); AAC is what every browser plays in MP4.
// - H.264 + 5.1 AC-3: the plain `-c copy` remux plays to `ended` without an error and without a sound (chromium has no
//   AC-3 decoder: no audio byte decoded, silent samples); the browser copy has stereo AAC that sounds.
// - MPEG-2 video: chromium decodes no picture of it in MP4 (refused, or sound over a black picture);
//   makeBrowserCopy makes no copy and says why (BrowserCopyUnplayableError, the recording's lastError).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_COPY_NAME, BrowserCopyUnplayableError, makeBrowserCopy } from '../../broadcast/recording/browser-copy.js';
import { browserCopyArgs, concatList, segmentArgs } from '../../broadcast/recording/ffmpeg-args.js';
import { listSegments } from '../../broadcast/recording/segment-dir.js';
import { CHROMIUM, launchBrowser } from '../browser/harness.js';
import { haveFfmpeg, probe } from './satellite.js';

const run = promisify(execFile);
const ffmpegThere = haveFfmpeg();
const chromiumThere = existsSync(CHROMIUM);
if (!ffmpegThere) console.warn('test/recording/browser-copy-audio.test.ts: skipped, ffmpeg/ffprobe not installed (apt-get install ffmpeg)');
else if (!chromiumThere) console.warn(`test/recording/browser-copy-audio.test.ts: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);

const SECONDS = 3;

/** A short broadcast-like recording: test pattern + 440 Hz tone in MPEG-TS, cut into 1 s segments by stream copy. */
async function record(dir: string, video: string[], audio: string[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const source = join(dir, 'source.ts.in');
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(SECONDS), ...video, '-g', '25', ...audio, '-f', 'mpegts', source,
  ]);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'mpegts', '-i', source, '-map', '0', '-c', 'copy', ...segmentArgs(dir, { kind: 'numbered', startNumber: 1 }, 1)]);
  return source;
}

/** The old browser copy: every stream copied, whatever its codec. */
async function plainCopy(dir: string, out: string): Promise<void> {
  const list = join(dir, 'plain.txt');
  writeFileSync(list, concatList(listSegments(dir).map((s) => join(dir, s.name))));
  await run('ffmpeg', browserCopyArgs(list, out, 'copy'));
}

interface Packets {
  count: number;
  bytes: number;
}

async function videoPackets(file: string): Promise<Packets> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'json', file], { maxBuffer: 16 * 1024 * 1024 });
  const packets = (JSON.parse(stdout) as { packets: { size: string }[] }).packets;
  return { count: packets.length, bytes: packets.reduce((n, p) => n + Number(p.size), 0) };
}

/** MD5 of the decoded pictures: equal only if the video was not re-encoded. */
async function pictureMd5(file: string): Promise<string> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-map', '0:v:0', '-f', 'md5', '-'], { maxBuffer: 1024 * 1024 });
  return stdout.trim();
}

interface Playback {
  readonly outcome: string;
  readonly errorCode: number | null;
  readonly errorMessage: string | null;
  readonly currentTime: number;
  readonly videoWidth: number;
  readonly framesDecoded: number;
  readonly audioDecodedBytes: number;
  /** Largest sample seen through a WebAudio AnalyserNode during playback. */
  readonly peak: number;
}

/**
 * The test page (plain JS: the tests are compiled without the DOM library). A click on #go (a user gesture: sound is
 * allowed) plays `window.nextUrl` once in a fresh <video> routed through a WebAudio AnalyserNode, and sets
 * `window.playback` to a promise of the `Playback`.
 */
const PAGE = `<!doctype html><title>browser copy</title><body><button id="go">play</button><script>
document.getElementById('go').addEventListener('click', () => {
  window.playback = new Promise((resolve) => {
    const v = document.createElement('video');
    document.body.append(v);
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    ctx.createMediaElementSource(v).connect(analyser);
    analyser.connect(ctx.destination);
    const buf = new Float32Array(analyser.fftSize);
    let peak = 0;
    const sampler = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      for (const x of buf) peak = Math.max(peak, Math.abs(x));
    }, 20);
    let timer;
    const done = (outcome) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({
        outcome,
        errorCode: v.error ? v.error.code : null,
        errorMessage: v.error ? v.error.message : null,
        currentTime: v.currentTime,
        videoWidth: v.videoWidth,
        framesDecoded: v.getVideoPlaybackQuality().totalVideoFrames,
        audioDecodedBytes: v.webkitAudioDecodedByteCount,
        peak,
      });
      v.remove();
      void ctx.close();
    };
    timer = setTimeout(() => done('timeout'), 20000);
    v.addEventListener('ended', () => done('ended'));
    v.addEventListener('error', () => done('error'));
    v.src = window.nextUrl;
    v.play().catch((e) => done('play() rejected: ' + e));
  });
});
</script></body>`;

/** Plays `src` (URL path on the test server) once, to `ended`, an error or 20 s. */
async function play(page: Page, src: string): Promise<Playback> {
  await page.evaluate(`window.nextUrl = ${JSON.stringify(src)}`);
  await page.click('#go');
  return (await page.evaluate('window.playback')) as Playback;
}

describe.skipIf(!ffmpegThere || !chromiumThere)('browser copy of broadcast audio and video, played in chromium', () => {
  let root: string;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'fenghuo-browser-copy-'));
    server = createServer((req, res) => {
      const path = join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (req.url === '/') {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(PAGE);
      } else if (path.startsWith(root) && path.endsWith('.mp4') && existsSync(path)) {
        res.setHeader('content-type', 'video/mp4');
        res.end(readFileSync(path));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(`${base}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('H.264 + MP2: video stream-copied, audio encoded to AAC, and the copy plays to the end with sound', async () => {
    const dir = join(root, 'mp2');
    const source = await record(dir, ['-c:v', 'libx264', '-preset', 'ultrafast'], ['-c:a', 'mp2', '-b:a', '192k']);
    const segments = listSegments(dir);
    expect(segments.length).toBeGreaterThanOrEqual(2);

    const copy = await makeBrowserCopy(dir, segments);
    expect(copy.path).toBe(join(dir, BROWSER_COPY_NAME));
    expect(copy.audio).toEqual({ encode: 'aac', downmix: false });
    expect(copy.bytes).toBe(statSync(copy.path).size);
    const p = await probe(copy.path);
    expect(p.formatName).toContain('mp4');
    expect(p.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['video:h264', 'audio:aac']);
    expect(p.durationS).toBeGreaterThan(SECONDS - 0.3);

    // The video was copied: the same packets (MP4 stores H.264 with 4-byte lengths instead of 3- or 4-byte start
    // codes, so a few bytes differ) and the same decoded pictures.
    const before = await videoPackets(source);
    const after = await videoPackets(copy.path);
    expect(after.count).toBe(before.count);
    expect(Math.abs(after.bytes - before.bytes)).toBeLessThan(before.count * 2 + 64);
    expect(await pictureMd5(copy.path)).toBe(await pictureMd5(source));

    const played = await play(page, `/mp2/${BROWSER_COPY_NAME}`);
    expect(played.outcome, JSON.stringify(played)).toBe('ended');
    expect(played.errorCode).toBeNull();
    expect(played.currentTime).toBeGreaterThan(SECONDS - 0.3);
    expect(played.videoWidth).toBe(320);
    expect(played.framesDecoded).toBeGreaterThan(0);
    expect(played.audioDecodedBytes).toBeGreaterThan(0);
    expect(played.peak).toBeGreaterThan(0.01);

    // For the record: the plain remux of MP2 plays with sound in Debian's chromium too (not in every browser).
    await plainCopy(dir, join(dir, 'plain.mp4'));
    const plain = await play(page, '/mp2/plain.mp4');
    console.info(`browser-copy-audio: MP2 in MP4 (plain -c copy) in ${CHROMIUM}: ${JSON.stringify(plain)}`);
  });

  it('H.264 + 5.1 AC-3: the plain remux plays silently; the browser copy has stereo AAC that sounds', async () => {
    const dir = join(root, 'ac3');
    await record(dir, ['-c:v', 'libx264', '-preset', 'ultrafast'], ['-c:a', 'ac3', '-ac', '6', '-b:a', '384k']);

    await plainCopy(dir, join(dir, 'plain.mp4'));
    expect((await probe(join(dir, 'plain.mp4'))).streams.map((s) => s.codec_name)).toEqual(['h264', 'ac3']);
    const plain = await play(page, '/ac3/plain.mp4');
    // The trap: no error, the picture moves, the end is reached, and not a sound.
    expect(plain.outcome, JSON.stringify(plain)).toBe('ended');
    expect(plain.errorCode).toBeNull();
    expect(plain.framesDecoded).toBeGreaterThan(0);
    expect(plain.audioDecodedBytes).toBe(0);
    expect(plain.peak).toBe(0);

    const copy = await makeBrowserCopy(dir, listSegments(dir));
    expect(copy.audio).toEqual({ encode: 'aac', downmix: true });
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,channels', '-of', 'csv=p=0', copy.path]);
    expect(stdout.trim().split('\n')).toEqual(['h264', 'aac,2']);
    const played = await play(page, `/ac3/${BROWSER_COPY_NAME}`);
    expect(played.outcome, JSON.stringify(played)).toBe('ended');
    expect(played.errorCode).toBeNull();
    expect(played.audioDecodedBytes).toBeGreaterThan(0);
    expect(played.peak).toBeGreaterThan(0.01);
  });

  it('MPEG-2 video: chromium shows no picture of it, so no browser copy is made and the reason is given', async () => {
    const dir = join(root, 'mpeg2');
    await record(dir, ['-c:v', 'mpeg2video', '-b:v', '1M'], ['-c:a', 'mp2', '-b:a', '192k']);

    await plainCopy(dir, join(dir, 'plain.mp4'));
    const plain = await play(page, '/mpeg2/plain.mp4');
    // Not one picture. How it fails varies: this concatenated remux is refused (MEDIA_ERR_SRC_NOT_SUPPORTED, "no
    // supported streams"); a single-file remux with the same codecs plays its sound to `ended` over a black picture.
    console.info(`browser-copy-audio: MPEG-2 video + MP2 in MP4 (plain -c copy) in ${CHROMIUM}: ${JSON.stringify(plain)}`);
    expect(['ended', 'error'], JSON.stringify(plain)).toContain(plain.outcome);
    expect(plain.framesDecoded).toBe(0);
    expect(plain.videoWidth).toBe(0);

    const err = await makeBrowserCopy(dir, listSegments(dir)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrowserCopyUnplayableError);
    expect((err as BrowserCopyUnplayableError).videoCodec).toBe('mpeg2video');
    expect((err as Error).message).toMatch(/browsers cannot play this video codec \(mpeg2video\).*download the original segments/);
    expect(existsSync(join(dir, BROWSER_COPY_NAME))).toBe(false);
    expect(listSegments(dir).length).toBeGreaterThanOrEqual(2);
  });
});
