import { UNPLAYABLE_VIDEO_MESSAGE } from '../../broadcast/recording/browser-copy.js';
import type { RecordingInfo, RecordingState } from '../../broadcast/recording/recording-types.js';

/** A finished or running recording as the disk quota sees it. */
export interface RecordingOnDisk {
  readonly id: string;
  /** When it ended, else when it started or was planned (UTC ms): what "oldest" means. */
  readonly at: number;
  readonly pinned: boolean;
  /** Being recorded or remuxed: never evicted. */
  readonly active: boolean;
  /** Its folder, and any file of it kept outside that folder (a browser copy elsewhere). */
  readonly paths: readonly string[];
  /** Its folder, where its original segments are (`seg-00001.ts` …). */
  readonly dir: string;
  /**
   * Its browser copy as the row names it, for a finished recording only (null: none made yet, the copy failed, or a
   * video codec browsers cannot play). The quota still checks that the file is on disk before counting the segments
   * as droppable.
   */
  readonly browserCopy: string | null;
}

/** What the disk quota needs of the recorder: the list, a way to delete one recording, and one to drop its segments. */
export interface RecordingsPort {
  list(): RecordingOnDisk[];
  evict(id: string): Promise<void>;
  /** Drops the original segments of a finished recording with a browser copy; answers the bytes freed. */
  dropSegments(id: string): Promise<number>;
}

/** What the port needs of the recordings module (node-daemon/recording/recordings-module.ts is one). */
export interface RecordingsOwner {
  list(): RecordingInfo[];
  /** The module's own delete: stops a recording that runs, removes its folder and its row, tells the live stream. */
  delete(id: string): Promise<boolean>;
  /** The module's segment drop (Recorder.dropSegments): refused while active or without a browser copy on disk. */
  dropSegments(id: string): Promise<number>;
  /** A recording's folder. */
  dirOf(id: string): string;
}

/** States in which a recording's files are complete and its row is settled. */
const SETTLED: ReadonlySet<RecordingState> = new Set(['finished', 'failed']);

/**
 * The disk quota's view of the recordings, through the recordings module: the list from its store, and evicting is
 * the module's own delete, so the recorder, the live stream (a `deleted` event) and the county's change log know of
 * it. "Oldest" is the recording's end (actual, else planned). Dropping a recording's segments is the recorder's own
 * `dropSegments`: no row is written, so neither the live stream nor the county hears of it.
 */
export class ModuleRecordings implements RecordingsPort {
  constructor(private readonly owner: RecordingsOwner) {}

  list(): RecordingOnDisk[] {
    return this.owner.list().map((r) => {
      const dir = this.owner.dirOf(r.id);
      return {
        id: r.id,
        at: r.actualEnd ?? r.plannedEnd,
        pinned: r.pinned,
        active: !SETTLED.has(r.state),
        paths: r.browserPath !== null && !r.browserPath.startsWith(dir) ? [dir, r.browserPath] : [dir],
        dir,
        browserCopy: r.state === 'finished' && r.lastError?.startsWith(UNPLAYABLE_VIDEO_MESSAGE) !== true ? r.browserPath : null,
      };
    });
  }

  async evict(id: string): Promise<void> {
    // Planned from a list a moment old: one pinned since then stays.
    const now = this.owner.list().find((r) => r.id === id);
    if (now === undefined) return;
    if (now.pinned || !SETTLED.has(now.state)) throw new Error(`recording ${id} is ${now.pinned ? 'pinned' : now.state} now: not evicted`);
    await this.owner.delete(id);
  }

  async dropSegments(id: string): Promise<number> {
    // Pinned since the plan was made: kept as it is, segments included. The recorder refuses the rest itself.
    const now = this.owner.list().find((r) => r.id === id);
    if (now === undefined) return 0;
    if (now.pinned) throw new Error(`recording ${id} is pinned now: its segments are kept`);
    return this.owner.dropSegments(id);
  }
}
