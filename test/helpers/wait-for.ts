import { lstatSync } from 'node:fs';

/** Polls a synchronous condition until it holds, or fails saying what it waited for. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000, intervalMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether a path exists as itself (a dangling symlink counts). */
export function linkExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
