import type { Logger } from '../../core/log.js';
import type { Clock } from '../../core/types.js';
import type { OrderHandler } from '../orders/handler.js';
import type { ContentTable } from './content-table.js';
import { checkManifest } from './plan.js';

export interface ContentHandlerDeps {
  readonly table: ContentTable;
  readonly log: Logger;
  readonly clock: Clock;
  /** Wakes the downloader (it also finds the list at its next start). */
  readonly poke?: () => void;
}

/**
 * The `content_manifest` order (docs/sync.md "Content"): the complete set of files the county wants under
 * `<data>/content/`. Recorded in one transaction and answered `accepted` at once; the downloads go on in the
 * background (ContentDownloader) and resume after a restart. A manifest the box cannot install (a path twice, a
 * path inside another) is `refused`; one issued before the manifest the box holds is `refused` as superseded.
 */
export function contentManifestHandler(deps: ContentHandlerDeps): OrderHandler<'content_manifest'> {
  return async (order) => {
    const files = order.body.files;
    const checked = checkManifest(files);
    if (!checked.ok) {
      deps.log.warn({ event: 'sync.content.manifest_refused', order: order.id, detail: checked.detail }, `content manifest ${order.id} refused: ${checked.detail}`);
      return { status: 'refused', detail: checked.detail };
    }
    const result = deps.table.applyManifest({ id: order.id, issuedAt: order.issuedAt }, files, deps.clock());
    if (!result.applied) {
      const detail = `superseded by order ${result.current.orderId}, issued at ${new Date(result.current.issuedAt).toISOString()}`;
      deps.log.info({ event: 'sync.content.manifest_superseded', order: order.id, current: result.current.orderId }, `content manifest ${order.id} not applied: ${detail}`);
      return { status: 'refused', detail };
    }
    const { fetch, keep, remove } = result.change;
    deps.log.info(
      { event: 'sync.content.manifest', order: order.id, by: order.by, files: files.length, fetch: fetch.length, keep: keep.length, remove: remove.length, bytes: fetch.reduce((n, f) => n + f.size, 0) },
      `content manifest ${order.id}: ${fetch.length} to fetch, ${keep.length} kept, ${remove.length} to remove`,
    );
    deps.poke?.();
    return { status: 'accepted', detail: `${fetch.length} to fetch, ${keep.length} kept, ${remove.length} to remove` };
  };
}
