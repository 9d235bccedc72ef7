// The recorder on an HTTP channel, as a TVHeadend channel URL serves one (`/stream/channel/…`), against ffmpeg's own
// HTTP server: the recording has its planned length, plays, and its browser copy is made — the same recorder path as
// the UDP receiver (recorder.test.ts), through the http input options of our argument builder.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../broadcast/recording/recorder.js';
import type { Channel } from '../../broadcast/recording/types.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { SqliteRecordingStore } from '../../node-daemon/recording/recording-store.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { tempDir, waitUntil, type LogLine } from '../daemon/daemon-harness.js';
import { freeTcpPort } from '../helpers/pymodbus.js';
import { haveFfmpeg, probe, startHttpChannel, type SatelliteSource } from './satellite.js';

const ffmpegThere = haveFfmpeg();
if (!ffmpegThere) console.warn('test/recording/http-source.test.ts: skipped, ffmpeg/ffprobe not installed (apt-get install ffmpeg)');

describe.skipIf(!ffmpegThere)('recorder on an HTTP channel (ffmpeg serving MPEG-TS over HTTP)', () => {
  let tmp: { dir: string; cleanup(): void };
  let db: Db;
  const lines: LogLine[] = [];
  const sources: SatelliteSource[] = [];
  const recorders: Recorder[] = [];

  beforeAll(() => {
    tmp = tempDir('fenghuo-rec-http-');
    db = openDatabase({ dataDir: join(tmp.dir, 'db'), log: createLogger({ level: 'silent' }) }).db;
  });
  afterEach(async () => {
    for (const r of recorders.splice(0)) await r.shutdown();
    for (const s of sources.splice(0)) await s.stop();
  });
  afterAll(() => {
    db.close();
    tmp.cleanup();
  });

  it('records the planned length from an HTTP channel URL, and the browser copy plays', async () => {
    const port = await freeTcpPort();
    sources.push(startHttpChannel(port));
    const channel: Channel = { id: 'tvh', name: 'TVHeadend 频道 1', source: { kind: 'http', url: `http://127.0.0.1:${port}/stream/channel/1` } };
    const recorder = new Recorder({
      rootDir: join(tmp.dir, 'recordings'),
      channel: (id) => (id === channel.id ? channel : undefined),
      store: new SqliteRecordingStore(db),
      clock: Date.now,
      log: createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } }),
      segmentSeconds: 2,
      stallSeconds: 3,
      startupSeconds: 4,
      backoff: { firstMs: 500, maxMs: 2_000 },
    });
    recorders.push(recorder);
    // The server needs a moment to listen; an early refusal is a restart with backoff, which the gaps would show.
    await new Promise((r) => setTimeout(r, 1_000));
    recorder.start({ id: 'http-1', channelId: 'tvh', title: '农技讲座', startAt: Date.now(), endAt: Date.now() + 10_000, origin: 'manual' });
    const done = await waitUntil(() => {
      const r = recorder.get('http-1');
      return r !== undefined && (r.state === 'finished' || r.state === 'failed') ? r : undefined;
    }, 40_000, () => `the recording to finish: ${JSON.stringify(lines.filter((l) => l.id === 'http-1').slice(-5))}`);
    expect(done.state).toBe('finished');
    expect(done.segments).toBeGreaterThanOrEqual(3);
    expect(done.durationS).toBeGreaterThan(7.5);
    expect(done.durationS).toBeLessThan(11.5);
    expect(done.browserPath).not.toBeNull();
    const copy = await probe(done.browserPath ?? '');
    expect(copy.streams.map((st) => st.codec_name)).toEqual(expect.arrayContaining(['h264', 'aac']));
  }, 60_000);
});
