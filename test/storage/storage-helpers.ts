import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../node-daemon/core/log.js';

export interface LogLine {
  readonly level: string;
  readonly event?: string;
  readonly [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in `lines`. */
export function captureLogger(): { log: Logger; lines: LogLine[]; events(name: string): LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  return { log, lines, events: (name) => lines.filter((l) => l.event === name) };
}

/** A unique temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'fenghuo-storage-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Waits until `check` returns true, polling every 10 ms, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
