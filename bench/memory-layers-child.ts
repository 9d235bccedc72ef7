// Child of bench/memory-table.ts (run with --expose-gc and the daemon's V8 flags): imports the daemon's layers one
// after another, each on top of the ones before, and prints one JSON line per layer with process.memoryUsage() and
// V8's heap spaces after a full collection. A layer's cost is its line minus the line before it.
import v8 from 'node:v8';

export interface LayerSample {
  readonly layer: string;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Used bytes per V8 heap space (new_space, old_space, code_space, ...). */
  readonly spaces: Record<string, number>;
}

/** Each layer: a label and the dist modules it adds (relative to dist/bench/), in the order the daemon needs them. */
export const LAYERS: readonly (readonly [string, readonly string[]])[] = [
  ['node alone', []],
  ['+ pino (core/log)', ['../node-daemon/core/log.js']],
  ['+ zod, config schema, YAML', ['../node-daemon/config/load.js']],
  ['+ rxjs, event hub', ['rxjs', '../node-daemon/core/events.js']],
  ['+ better-sqlite3, storage', ['../node-daemon/storage/database.js', '../node-daemon/storage/readings-writer.js', '../node-daemon/storage/readings-reader.js']],
  ['+ modbus-serial, serialport, poller', ['../node-daemon/sensing/bus-modules.js', '../node-daemon/sensing/poller.js']],
  ['+ hono, routes, OpenAPI', ['../node-daemon/http/app.js', '../node-daemon/http/http-server.js']],
  ['+ prom-client (metrics)', ['../node-daemon/metrics/daemon-metrics.js']],
  ['+ the whole compose', ['../node-daemon/compose.js']],
  ['+ cli (every command)', ['../node-daemon/cli.js']],
];

function sample(layer: string): LayerSample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.space_used_size;
  return { layer, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, spaces };
}

export async function measureLayers(emit: (s: LayerSample) => void): Promise<void> {
  for (const [label, modules] of LAYERS) {
    for (const m of modules) await import(m.startsWith('.') ? new URL(m, import.meta.url).href : m);
    // Let lazy module work and finalizers settle before sampling.
    await new Promise((r) => setTimeout(r, 50));
    emit(sample(label));
  }
}

if (process.argv[2] === 'child') {
  await measureLayers((s) => process.stdout.write(`${JSON.stringify(s)}\n`));
}
