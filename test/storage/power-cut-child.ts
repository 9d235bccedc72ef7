/**
 * Child process for the power-cut test: writes readings through the real writer as fast as it can and prints the
 * writer's `readings.stored` log lines on stdout, until it is killed.
 * Usage: node test-artifacts/test-children/test/storage/power-cut-child.js <dataDir> <run> (compiled by testChildScript).
 */
import { EventHub } from '../../node-daemon/core/events.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';

/** The value the child stores for a timestamp, so the parent can check each row it finds. */
export function expectedValue(ts: number): number {
  return (ts % 100_000) / 1_000;
}

async function main(): Promise<void> {
  const [dataDir, runArg] = process.argv.slice(2);
  if (dataDir === undefined || runArg === undefined) throw new Error('usage: power-cut-child <dataDir> <run>');
  const run = Number(runArg);
  const log = createLogger({ level: 'info' });
  const { db } = openDatabase({ dataDir, log });
  const hub = new EventHub();
  const writer = new ReadingsWriter({ db, hub, log, batchSize: 16, flushIntervalMs: 5 });
  await writer.start();
  let n = 0;
  const base = 1_000_000_000_000 + run * 100_000_000;
  const tick = (): void => {
    for (let i = 0; i < 7; i++) {
      const ts = base + n;
      hub.reading$.next({ sensorId: `s${n % 3}`, ts, value: expectedValue(ts), quality: 'good' });
      n += 1;
    }
    setImmediate(tick);
  };
  tick();
}

if (process.argv[1]?.endsWith('power-cut-child.js')) {
  main().catch((err: unknown) => {
    process.stderr.write(`power-cut-child: ${String(err)}\n`);
    process.exit(1);
  });
}
