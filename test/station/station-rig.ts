// What the station tests share: cleanups run after each test, condition waits, a journal the station logs into, the
// one-shot cron of a due time, and a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs `cleanup` after the current test (last registered, first run). */
export function afterTest(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Journal {
  readonly lines: Record<string, unknown>[];
  readonly log: { info(obj: object): void; warn(obj: object): void; error(obj: object): void };
  of(event: string): Record<string, unknown>[];
}

/** A log the station writes to, kept to be read, each line with the time it was written (`t`). */
export function journal(): Journal {
  const lines: Record<string, unknown>[] = [];
  const put = (obj: object): void => void lines.push({ ...obj, t: Date.now() });
  return { lines, log: { info: put, warn: put, error: put }, of: (event: string) => lines.filter((l) => l['event'] === event) };
}

/** A 6-field cron (seconds first) that fires once, at `at` (UTC), in the next year. */
export function cronAt(at: number): string {
  const d = new Date(at);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

/** A whole second at least `leadMs` from now. */
export const dueIn = (leadMs: number): number => Math.ceil(Date.now() / 1000) * 1000 + leadMs;

/** A temp folder removed after the test. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterTest(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
