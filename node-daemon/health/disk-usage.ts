import { statfsSync } from 'node:fs';

export interface DiskUsage {
  readonly path: string;
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/**
 * Free (available to this unprivileged process) and total bytes of the file system holding `path`.
 * A path that cannot be examined reports 0 free of 0: storage there is not usable either.
 */
export function diskUsage(path: string): DiskUsage {
  try {
    const s = statfsSync(path);
    return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return { path, freeBytes: 0, totalBytes: 0 };
  }
}
