import { join } from 'node:path';
import { categoryOfPath, kindOfMediaType, textKindOfName, titleOfName } from '../../broadcast/library/kinds.js';
import type { LibraryKind, NewLibraryItem } from '../../broadcast/library/types.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import type { ContentRow } from '../sync/content/plan.js';
import type { LibraryStore } from './library-store.js';

/** Where the sync installs the county's files (sync/content/downloader.ts CONTENT_DIR). */
const CONTENT_DIR = 'content';

export interface CountyLibraryOptions {
  readonly store: LibraryStore;
  /** The county's content manifest and each file's state (sync/content/content-table.ts). */
  readonly content: { rows(): ContentRow[] };
  readonly dataDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly pollMs: number;
}

export interface ReconcileResult {
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
}

/**
 * Keeps the library's county items in step with the county content the sync has installed: an installed file
 * becomes an item (title from the manifest, else the file name; kind from the manifest's media type, else the
 * file's magic bytes; category from the path's first folder; date when installed), a new version of a path
 * updates its item, and a file no longer installed takes its item away. The content table is watched (read every
 * `pollMs`) rather than hooked into the downloader, which stays the sync's own; a manifest changes a few times a
 * day, and reading its rows is a few hundred microseconds.
 */
export class CountyLibrary implements Module {
  readonly name = 'library.county';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;
  /** Paths whose kind could not be told, so the log says it once. */
  private readonly unknown = new Set<string>();

  constructor(private readonly opts: CountyLibraryOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    this.running = this.reconcile()
      .catch((err: unknown) => this.opts.log.error({ event: 'library.county_failed', err: String(err) }, 'county content not reconciled with the library'))
      .finally(() => {
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.opts.pollMs);
      });
  }

  async reconcile(): Promise<ReconcileResult> {
    const installed = this.opts.content.rows().filter((r) => r.state === 'installed');
    const items = this.opts.store.countyItems();
    let added = 0;
    let updated = 0;
    let removed = 0;
    for (const row of installed) {
      const existing = items.get(row.path);
      items.delete(row.path);
      if (existing !== undefined && existing.sha256 === row.sha256 && existing.title === (row.title ?? titleOfName(row.path)) && existing.mediaType === (row.mediaType ?? existing.mediaType)) continue;
      const typed = await this.kindOf(row);
      if (typed === undefined) continue;
      const item: NewLibraryItem = {
        kind: typed.kind,
        title: row.title ?? titleOfName(row.path),
        category: categoryOfPath(row.path),
        tags: [],
        date: row.installedAt ?? this.opts.clock(),
        source: 'county',
        sourceRef: row.path,
        file: `${CONTENT_DIR}/${row.path}`,
        size: row.size,
        sha256: row.sha256,
        mediaType: typed.mediaType,
      };
      if (existing === undefined) {
        const { id } = this.opts.store.add(item, this.opts.clock());
        added++;
        this.opts.log.info({ event: 'library.county_added', id, path: row.path, kind: item.kind }, 'county content added to the library');
      } else {
        this.opts.store.update(existing.id, item);
        updated++;
        this.opts.log.info({ event: 'library.county_updated', id: existing.id, path: row.path }, 'county content updated in the library');
      }
    }
    for (const [path, item] of items) {
      this.opts.store.delete(item.id);
      removed++;
      this.opts.log.info({ event: 'library.county_removed', id: item.id, path }, 'county content no longer installed: removed from the library');
    }
    return { added, updated, removed };
  }

  private async kindOf(row: ContentRow): Promise<{ kind: LibraryKind; mediaType: string } | undefined> {
    const fromManifest = kindOfMediaType(row.mediaType);
    if (fromManifest !== undefined && row.mediaType !== null) return { kind: fromManifest, mediaType: row.mediaType };
    // file-type (~1 MB of heap) is loaded on the first manifest entry without a usable media type, not at start-up.
    const { fileTypeFromFile } = await import('file-type');
    const sniffed = await fileTypeFromFile(join(this.opts.dataDir, CONTENT_DIR, ...row.path.split('/'))).catch(() => undefined);
    const kind = kindOfMediaType(sniffed?.mime);
    if (sniffed !== undefined && kind !== undefined) return { kind, mediaType: sniffed.mime };
    const text = textKindOfName(row.path);
    if (text !== undefined) return text;
    if (!this.unknown.has(row.path)) {
      this.unknown.add(row.path);
      this.opts.log.warn({ event: 'library.county_unknown_type', path: row.path, mediaType: row.mediaType, sniffed: sniffed?.mime }, 'county content of no library type: not in the library');
    }
    return undefined;
  }
}
