// What every recorder test against real ffmpeg sets up: a temp folder, the real SQLite store (openDatabase +
// SqliteRecordingStore), the log lines captured, and Recorders with the test's short segments, stall limit and backoff.
// `recorderRig()` is called inside a `describe`: it registers the hooks that open the database (beforeAll), shut the
// recorders down and stop the peers after each test (afterEach), and close and delete everything at the end.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Recorder } from '../../broadcast/recording/recorder.js';
import type { RecordingInfo } from '../../broadcast/recording/recording-types.js';
import type { Channel, RecordingJob } from '../../broadcast/recording/types.js';
import type { Backoff } from '../../broadcast/recording/stall-watch.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { SqliteRecordingStore } from '../../node-daemon/recording/recording-store.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { tempDir, waitUntil, type LogLine } from '../daemon/daemon-harness.js';

export interface RigRecorderOptions {
  readonly segmentSeconds?: number;
  readonly stallSeconds?: number;
  readonly startupSeconds?: number;
  readonly backoff?: Backoff;
}

/** Anything a test starts that must be stopped after it (a source, a server). */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface RecorderRig {
  /** The temp folder (valid from beforeAll on). */
  readonly dir: string;
  readonly db: Db;
  /** Every log line of the recorders (and the database), parsed. */
  readonly lines: LogLine[];
  /** A Recorder over `channels`, into `<dir>/recordings`; shut down after the test. Defaults: 2 s segments, 3 s stall, 4 s start-up, backoff 0.5–2 s. */
  recorder(channels: Channel | readonly Channel[], opts?: RigRecorderOptions): Recorder;
  /** Stopped after the test (after the recorders). */
  track<T extends Stoppable>(peer: T): T;
  /** A job on `channelId` from now for `seconds`. */
  job(id: string, channelId: string, seconds: number, title?: string): RecordingJob;
  /** Log lines of one event for one recording. */
  eventsOf(event: string, id: string): LogLine[];
  /** Waits until recording `id` is finished or failed; its row. */
  settled(recorder: Recorder, id: string, timeoutMs: number): Promise<RecordingInfo>;
}

export function recorderRig(prefix: string): RecorderRig {
  let tmp: { dir: string; cleanup(): void } | undefined;
  let db: Db | undefined;
  const lines: LogLine[] = [];
  const recorders: Recorder[] = [];
  const peers: Stoppable[] = [];
  const log = () => createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });

  beforeAll(() => {
    tmp = tempDir(prefix);
    db = openDatabase({ dataDir: join(tmp.dir, 'db'), log: log() }).db;
  });
  afterEach(async () => {
    for (const r of recorders.splice(0)) await r.shutdown();
    for (const p of peers.splice(0)) await p.stop();
  });
  afterAll(() => {
    db?.close();
    tmp?.cleanup();
  });

  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`recorderRig: ${what} is there only from beforeAll on`);
    return v;
  };

  return {
    get dir() {
      return need(tmp, 'the temp folder').dir;
    },
    get db() {
      return need(db, 'the database');
    },
    lines,
    recorder(channels, opts = {}) {
      const list: readonly Channel[] = Array.isArray(channels) ? channels : [channels as Channel];
      const recorder = new Recorder({
        rootDir: join(need(tmp, 'the temp folder').dir, 'recordings'),
        channel: (id) => list.find((c) => c.id === id),
        store: new SqliteRecordingStore(need(db, 'the database')),
        clock: Date.now,
        log: log(),
        segmentSeconds: opts.segmentSeconds ?? 2,
        stallSeconds: opts.stallSeconds ?? 3,
        startupSeconds: opts.startupSeconds ?? 4,
        backoff: opts.backoff ?? { firstMs: 500, maxMs: 2_000 },
      });
      recorders.push(recorder);
      return recorder;
    },
    track(peer) {
      peers.push(peer);
      return peer;
    },
    job: (id, channelId, seconds, title = '农技讲座') => ({ id, channelId, title, startAt: Date.now(), endAt: Date.now() + seconds * 1_000, origin: 'manual' }),
    eventsOf: (event, id) => lines.filter((l) => l.event === event && l.id === id),
    settled: (recorder, id, timeoutMs) =>
      waitUntil(
        () => {
          const r = recorder.get(id);
          return r !== undefined && (r.state === 'finished' || r.state === 'failed') ? r : undefined;
        },
        timeoutMs,
        () => `recording ${id} to finish: ${JSON.stringify(lines.filter((l) => l.id === id).slice(-5))}`,
      ),
  };
}
