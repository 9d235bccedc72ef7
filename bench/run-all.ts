// `npm run bench`: every benchmark, each printed as a ratio against a peer or a physical limit measured in the
// same run. FENGHUO_BENCH_MEMORY_S shortens the 5-minute memory run; FENGHUO_BENCH_DAY_H sets the fake hours of the
// accelerated day (default 6, 24 for a whole day, 0 skips); FENGHUO_BENCH_STARTUP_RUNS the start-up runs (default 5).
import { benchAlarmLatency } from './alarm-latency.js';
import { benchMemory } from './daemon-memory.js';
import { benchMemoryDay } from './daemon-memory-day.js';
import { benchStartup } from './startup.js';
import { benchHubIngest } from './hub-ingest.js';
import { benchPictureUpload } from './picture-upload.js';
import { benchPolls } from './poll-throughput.js';
import type { BenchResult } from './result.js';
import { benchRtuLine } from './rtu-line.js';
import { benchStorage } from './storage-throughput.js';
import { benchSyncBytes } from './sync-bytes.js';
import { benchSyncGoodput } from './sync-goodput.js';
import { benchLibrarySearch } from './library-search.js';
import { benchRecording } from './recording.js';
import { benchUiThrottled } from './ui-throttled.js';

function print(r: BenchResult): void {
  const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));
  console.log(`${r.name}\n  ours ${fmt(r.ours)}  peer ${fmt(r.peer)}  ${r.unit}\n  ratio ${r.ratio.toFixed(2)}${r.aim ? `  (aim ${r.aim})` : ''}${r.note ? `\n  ${r.note}` : ''}`);
}

const benches: [string, () => Promise<BenchResult | BenchResult[]>][] = [
  ['polls', benchPolls],
  ['storage', () => benchStorage()],
  ['memory', () => benchMemory()],
  ['memory-day', () => benchMemoryDay()],
  ['startup', () => benchStartup()],
  ['alarms', benchAlarmLatency],
  ['rtu', benchRtuLine],
  ['hub-ingest', benchHubIngest],
  ['sync-bytes', benchSyncBytes],
  ['sync-goodput', benchSyncGoodput],
  ['picture-upload', benchPictureUpload],
  ['library-search', () => benchLibrarySearch()],
  ['recording', () => benchRecording()],
  ['ui-throttled', benchUiThrottled],
];
const only = process.argv.slice(2);
let failed = 0;
for (const [name, run] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  try {
    const out = await run();
    for (const r of Array.isArray(out) ? out : [out]) print(r);
  } catch (err) {
    failed++;
    console.error(`${name}: failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
