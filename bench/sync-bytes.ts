/**
 * Bytes per reading on the link to the county for a week of one sensor's readings, polled every 60 s and every 5 s.
 * Ours: the week as the box would push it after an outage: each poll its own batch (one sensor: the writer's
 * 500 ms flush commits every reading alone), one `readings` record per batch built with the box's
 * `readingsPayload`, cut into requests by its `planRequest` at the initial batch target (64 KiB), each body written
 * by `ingestBodyText` and compressed by `compressBody`: raw JSON, brotli (quality 5, the default) and gzip. Also the
 * same batches in the 15-minute aggregates form (`aggregatesPayload`, what a behind lane sends for batches older than
 * a day). Beside them the same readings as plain JSON objects, `[{"sensorId","ts","value","quality"}, …]`, raw and
 * through the same compressors. Request bodies only: HTTP heads (signature, digest) and answers are not counted.
 * Beside them too the same readings as SL 651-2014 frames (node-daemon/uplinks/sl651/frame.ts), as a county's
 * hydrological telemetry would carry them, uncompressed as SL 651 stations send them: one 定时报 (timed report, 0x32)
 * per reading, the water level as element 39 23; and one 小时报 (hourly report, 0x34) per hour, carrying the hour's
 * twelve 5-minute values (F5) and the level at the hour (39). An hourly report only carries the 5-minute marks: of a
 * 60 s poll 12 readings an hour in 60, of a 5 s poll 12 in 720; the rest never leaves the station. Frame bytes only,
 * as for our bodies: the TCP/IP framing of each frame (an SL 651 station sends each report in its own packets) is not
 * counted.
 * Standalone: `node dist/bench/sync-bytes.js` prints the figures as JSON.
 */
import { pathToFileURL } from 'node:url';
import { initialBatchTarget } from '../node-daemon/sync/outbox/batch-target.js';
import { planRequest } from '../node-daemon/sync/outbox/plan.js';
import { aggregatesPayload, readingsPayload, recordBytes, type ReadingTuple, type SyncRecord } from '../node-daemon/sync/outbox/records.js';
import { compressBody } from '../node-daemon/sync/push/compress.js';
import { ingestBodyText } from '../node-daemon/sync/push/ingest-body.js';
import { encodeHourlyReport, encodeTimedReport, WATER_LEVEL, type Sl651Station } from '../node-daemon/uplinks/sl651/frame.js';
import type { BenchResult } from './result.js';

const WEEK_MS = 7 * 86_400_000;
const T0 = Date.UTC(2025, 6, 1);
const SENSOR = 'river-1';

interface Sizes {
  readonly json: number;
  readonly br: number;
  readonly gzip: number;
}

export interface SyncBytesFigures {
  readonly pollSeconds: number;
  readonly readings: number;
  readonly requests: number;
  /** Bytes per reading. */
  readonly records: Sizes;
  readonly aggregates: Sizes;
  readonly plainJson: Sizes;
  readonly sl651: Sl651Sizes;
}

export interface Sl651Sizes {
  /** Bytes per reading, one 定时报 each. */
  readonly timedPerReading: number;
  /** Bytes per value carried by the 小时报 (12 five-minute values a frame). */
  readonly hourlyPerValue: number;
  /** The hourly frames' bytes over every reading of the week (most of which they do not carry). */
  readonly hourlyPerReading: number;
  /** Of the week's readings, how many the hourly reports carry. */
  readonly hourlyCarried: number;
}

const SL651_STATION: Sl651Station = { centre: 0x01, station: '0000000001', password: 0x0000, stationType: 0x48 };
const FIVE_MIN = 300_000;
const HOUR = 3_600_000;

/** The week as SL 651 frames: a timed report per reading, and an hourly report per hour. */
function sl651Sizes(readings: readonly ReadingTuple[]): Sl651Sizes {
  let serial = 0;
  const next = (): number => (serial = (serial + 1) & 0xffff);
  let timed = 0;
  for (const [, , ts, value] of readings) {
    timed += encodeTimedReport(SL651_STATION, { serial: next(), sentAt: ts + 40, observedAt: ts }, [{ format: WATER_LEVEL, value }]).length;
  }
  const byTs = new Map(readings.map((r) => [r[2], r[3]]));
  let hourly = 0;
  let carried = 0;
  const first = readings[0]?.[2] ?? T0;
  const last = readings.at(-1)?.[2] ?? T0;
  for (let h = first - (first % HOUR); h <= last; h += HOUR) {
    const levels = Array.from({ length: 12 }, (_, k) => byTs.get(h + k * FIVE_MIN) ?? null);
    carried += levels.filter((l) => l !== null).length;
    const atHour = byTs.get(h + HOUR) ?? null;
    hourly += encodeHourlyReport(SL651_STATION, { serial: next(), sentAt: h + HOUR + 40, observedAt: h + HOUR }, { fiveMinuteLevelsM: levels, current: [{ format: WATER_LEVEL, value: atHour }] }).length;
  }
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return { timedPerReading: r2(timed / readings.length), hourlyPerValue: r2(hourly / Math.max(1, carried)), hourlyPerReading: r2(hourly / readings.length), hourlyCarried: carried };
}

/** A river level over a week: a slow tide-like swing, a little noise, millimetre resolution, a few failed polls. */
function weekOfReadings(pollSeconds: number): ReadingTuple[] {
  const n = WEEK_MS / (pollSeconds * 1000);
  let seed = 7;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  return Array.from({ length: n }, (_, i): ReadingTuple => {
    const ts = T0 + i * pollSeconds * 1000;
    if (noise() < -0.499) return [i + 1, SENSOR, ts, null, 'comm_fail'];
    const level = 2 + Math.sin(ts / 44_700_000) * 0.6 + noise() * 0.01;
    return [i + 1, SENSOR, ts, Math.round(level * 1000) / 1000, 'good'];
  });
}

/** The records cut into request bodies (text) as the push client would, lanes `readings` only. */
function bodies(records: readonly SyncRecord[]): string[] {
  const target = initialBatchTarget();
  const sized = records.map((record) => ({ record, bytes: recordBytes(record) }));
  const out: string[] = [];
  let after = 0;
  for (let i = 0; i < sized.length; ) {
    const plan = planRequest({ lanes: [{ lane: 'readings', records: sized.slice(i, i + 5_000).map((r) => ({ seq: r.record.seq, bytes: r.bytes })) }], targetBytes: target, overBudget: false });
    const count = plan.lanes[0]?.count ?? 0;
    if (count === 0) throw new Error('sync-bytes: a request took no record');
    const sent = sized.slice(i, i + count).map((r) => r.record);
    out.push(ingestBodyText({ box: 'shangcun-01', dbId: 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d', batch: out.length + 1, lanes: [{ lane: 'readings', after, records: sent }] }));
    after = sent[sent.length - 1]?.seq ?? after;
    i += count;
  }
  return out;
}

async function sizesOf(texts: readonly string[], readings: number): Promise<Sizes> {
  let json = 0;
  let br = 0;
  let gzip = 0;
  for (const t of texts) {
    json += Buffer.byteLength(t, 'utf8');
    br += (await compressBody(t, 'br')).length;
    gzip += (await compressBody(t, 'gzip')).length;
  }
  const per = (x: number): number => Math.round((x / readings) * 100) / 100;
  return { json: per(json), br: per(br), gzip: per(gzip) };
}

export async function measureSyncBytes(pollSeconds: number): Promise<SyncBytesFigures> {
  const readings = weekOfReadings(pollSeconds);
  // One sensor: every poll is a batch of its own, so every record carries one reading.
  const batchTs = (r: ReadingTuple): number => r[2] + 40;
  const raw: SyncRecord[] = readings.map((r, i) => ({ seq: i + 1, kind: 'readings', ts: batchTs(r), payload: readingsPayload([r], 1) }));
  const folded: SyncRecord[] = readings.map((r, i) => ({ seq: i + 1, kind: 'aggregates', ts: batchTs(r), payload: aggregatesPayload([r], 1) }));
  const rawBodies = bodies(raw);
  // The plain objects in the same number of bodies, so both sides compress in pieces of the same count of readings.
  const perBody = Math.ceil(readings.length / rawBodies.length);
  const plainTexts: string[] = [];
  for (let i = 0; i < readings.length; i += perBody) {
    plainTexts.push(JSON.stringify(readings.slice(i, i + perBody).map(([, sensorId, ts, value, quality]) => ({ sensorId, ts, value, quality }))));
  }
  return {
    pollSeconds,
    readings: readings.length,
    requests: rawBodies.length,
    records: await sizesOf(rawBodies, readings.length),
    aggregates: await sizesOf(bodies(folded), readings.length),
    plainJson: await sizesOf(plainTexts, readings.length),
    sl651: sl651Sizes(readings),
  };
}

export async function benchSyncBytes(): Promise<BenchResult> {
  const [m60, m5] = [await measureSyncBytes(60), await measureSyncBytes(5)];
  const line = (m: SyncBytesFigures): string =>
    `${m.pollSeconds} s (${m.readings} readings, ${m.requests} requests): records json ${m.records.json} br ${m.records.br} gzip ${m.records.gzip}; ` +
    `aggregates form json ${m.aggregates.json} br ${m.aggregates.br} gzip ${m.aggregates.gzip}; ` +
    `plain JSON objects json ${m.plainJson.json} br ${m.plainJson.br} gzip ${m.plainJson.gzip}; ` +
    `SL 651 定时报 ${m.sl651.timedPerReading} per reading (uncompressed, one frame each); ` +
    `SL 651 小时报 ${m.sl651.hourlyPerValue} per 5-minute value carried (${m.sl651.hourlyCarried} of ${m.readings} readings carried; ${m.sl651.hourlyPerReading} over all)`;
  return {
    name: 'sync-bytes: a week of one sensor at 60 s, bytes per reading in request bodies: our records vs the readings as plain JSON objects, both brotli q5',
    ours: m60.records.br,
    peer: m60.plainJson.br,
    ratio: Math.round((m60.records.br / m60.plainJson.br) * 100) / 100,
    unit: 'bytes/reading',
    note: `bytes/reading — ${line(m60)}\n  ${line(m5)}`,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Promise.all([measureSyncBytes(60), measureSyncBytes(5)]).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
