// A box data dir holding a week of the demo site's readings not yet pushed: the three Llano River gauges of the demo
// (node-daemon/sim/demo-site.ts, the USGS October 2018 flood) replayed at real speed, each polled every `pollMs` (the
// box's default 5 s), written by the box's own ReadingsWriter on its own database, one batch per poll round (the
// writer's 500 ms flush commits each round of a live box alone), each committed at the time of its readings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { DEMO_DEVICES, demoSeriesText } from '../../node-daemon/sim/demo-site.js';
import { Replay } from '../../node-daemon/sim/replay.js';
import { parseCsv } from '../../node-daemon/sim/series.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';

export interface DemoWeek {
  readonly dataDir: string;
  readonly readings: number;
  readonly batches: number;
  cleanup(): void;
}

/** The week replayed: from three days before the flood's rise (2018-10-12) on. */
const SERIES_FROM = Date.parse('2018-10-12T00:00:00-05:00');

/** Writes `days` of the demo's gauges ending `endsAt` (UTC ms) into a new data dir. */
export async function writeDemoWeek(opts: { endsAt: number; days?: number; pollMs?: number }): Promise<DemoWeek> {
  const days = opts.days ?? 7;
  const pollMs = opts.pollMs ?? 5_000;
  const from = opts.endsAt - days * 86_400_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-box-'));
  const { db } = openDatabase({ dataDir, log: silentLogger() });
  try {
    const text = demoSeriesText();
    const replays = DEMO_DEVICES.map((d) => ({ sensorId: d.sensorId, replay: new Replay(parseCsv(text, d.station).points, { speedUp: 1, seriesStart: SERIES_FROM, wallStart: from }) }));
    const hub = new EventHub();
    let now = from;
    let batches = 0;
    hub.stored$.subscribe(() => void (batches += 1));
    const writer = new ReadingsWriter({ db, hub, log: silentLogger(), batchSize: replays.length, flushIntervalMs: 3_600_000, clock: () => now });
    await writer.start();
    let readings = 0;
    for (let ts = from; ts < opts.endsAt; ts += pollMs) {
      now = ts;
      for (const { sensorId, replay } of replays) {
        const m = replay.levelAt(ts);
        hub.reading$.next(m === undefined ? { sensorId, ts, value: null, quality: 'comm_fail' } : { sensorId, ts, value: Math.round(m * 1000) / 1000, quality: 'good' });
        readings += 1;
      }
    }
    await writer.stop();
    return { dataDir, readings, batches, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
  } finally {
    db.close();
  }
}
