import { realpathSync, rmSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { LibraryConfig } from '../../broadcast/library/library-config.js';
import type { LibraryItem, LibraryPage, LibraryQuery } from '../../broadcast/library/types.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import type { LibraryStore } from './library-store.js';
import type { ProbeOptions } from './probe-file.js';
import { importFolder, LIBRARY_DIR, type ImportReport } from './usb-import.js';

/** A request the library refuses: `param` names the field, `status` the HTTP answer. */
export class LibraryRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export interface LibraryServiceOptions {
  readonly store: LibraryStore;
  readonly dataDir: string;
  readonly config: LibraryConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly probe?: ProbeOptions;
}

const inside = (dir: string, path: string): boolean => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** What the HTTP routes and the disk quota call: search, files, USB import, deletion. */
export class LibraryService {
  private importing: string | undefined;

  constructor(private readonly opts: LibraryServiceOptions) {}

  search(query: LibraryQuery): LibraryPage {
    return this.opts.store.search(query);
  }

  get(id: number): LibraryItem | undefined {
    return this.opts.store.get(id);
  }

  /** Items the disk quota may evict (not the county's). */
  evictable(): ReturnType<LibraryStore['evictable']> {
    return this.opts.store.evictable();
  }

  categories(): { category: string; count: number }[] {
    return this.opts.store.categories();
  }

  /** The item's file on disk. */
  pathOf(item: LibraryItem): string {
    return join(this.opts.dataDir, ...item.file.split('/'));
  }

  /**
   * Imports a mounted USB folder. Only a folder under `library.usbMounts` may be read (symlinks resolved first), so
   * the API cannot be used to copy any file of the box into the library; one import at a time.
   */
  async importFolder(path: string, extra: { readonly category?: string; readonly tags?: readonly string[] } = {}): Promise<ImportReport> {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw new LibraryRequestError(400, `${path} does not exist (is the stick mounted?)`, 'path');
    }
    if (!statSync(real).isDirectory()) throw new LibraryRequestError(400, `${path} is not a folder`, 'path');
    const mounts = this.opts.config.usbMounts.flatMap((m) => {
      try {
        return [realpathSync(m)];
      } catch {
        return [];
      }
    });
    if (!mounts.some((m) => inside(m, real))) {
      throw new LibraryRequestError(400, `${path} is not under a USB mount folder (library.usbMounts: ${this.opts.config.usbMounts.join(', ')})`, 'path');
    }
    if (this.importing !== undefined) throw new LibraryRequestError(409, `an import of ${this.importing} is running; try again when it ends`);
    this.importing = real;
    this.opts.log.info({ event: 'library.import_started', folder: real }, 'USB import started');
    try {
      const report = await importFolder({
        folder: real,
        dataDir: this.opts.dataDir,
        store: this.opts.store,
        clock: this.opts.clock,
        log: this.opts.log,
        maxFileBytes: this.opts.config.maxImportFileBytes,
        ...(extra.category === undefined ? {} : { category: extra.category }),
        ...(extra.tags === undefined ? {} : { tags: extra.tags }),
        ...(this.opts.probe === undefined ? {} : { probe: this.opts.probe }),
      });
      this.opts.log.info(
        { event: 'library.import_done', folder: real, imported: report.imported.length, duplicates: report.duplicates.length, corrupt: report.corrupt.length, skipped: report.skipped.length },
        'USB import done',
      );
      return report;
    } finally {
      this.importing = undefined;
    }
  }

  /**
   * Deletes an item and its file (when no other item uses it). The county's items are the county's: they go when
   * the county's manifest drops them, never by hand (the sync would only bring them back).
   */
  delete(id: number, reason: 'operator' | 'quota' = 'operator', account?: string): LibraryItem {
    const item = this.opts.store.get(id);
    if (item === undefined) throw new LibraryRequestError(404, `no library item ${id}`, 'id');
    if (item.source === 'county') throw new LibraryRequestError(409, `item ${id} is the county's content; it goes when the county withdraws it`, 'id');
    this.opts.store.delete(id);
    if (item.file.startsWith(`${LIBRARY_DIR}/`) && this.opts.store.usersOfFile(item.file) === 0) rmSync(this.pathOf(item), { force: true });
    this.opts.log.info({ event: 'library.deleted', id, file: item.file, size: item.size, reason, ...(account === undefined ? {} : { account }) }, 'library item deleted');
    return item;
  }
}
