/**
 * Which content_manifest orders say the county's current content (docs/sync.md "Content"). Pure.
 *
 * A manifest is the complete set of files a box must hold, so every box must get exactly its own set: the files for
 * every box plus those published for it alone. With no file for particular boxes, that is one order to `*` (a box
 * enrolled later gets it too, while it has not expired). Otherwise no order goes to `*` (it would tell a box with
 * files of its own to delete them until its own order came): one order per distinct set, addressed to the boxes
 * that hold that set, every enrolled box and every box named by a file; at most 1000 boxes per order.
 */
import type { ContentFile } from '../../node-daemon/sync/protocol/order-schema.js';
import type { PublishedFile } from './content-store.js';

export interface ManifestOrderPlan {
  readonly to: '*' | readonly string[];
  readonly files: readonly ContentFile[];
}

/** The most box ids one order may name (protocol/order.ts). */
export const MAX_ADDRESSEES = 1000;

export function manifestFile(f: Pick<PublishedFile, 'path' | 'size' | 'sha256' | 'title' | 'mediaType'>): ContentFile {
  return {
    path: f.path,
    size: f.size,
    sha256: f.sha256,
    ...(f.title === null ? {} : { title: f.title }),
    ...(f.mediaType === null ? {} : { mediaType: f.mediaType }),
  };
}

/** The orders that give every box its set. `current`: the publications not withdrawn; `boxes`: the enrolled boxes not revoked. */
export function manifestOrders(current: readonly PublishedFile[], boxes: readonly string[]): ManifestOrderPlan[] {
  const sorted = [...current].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const everyone = sorted.filter((f) => f.to === null);
  if (sorted.every((f) => f.to === null)) return [{ to: '*', files: everyone.map(manifestFile) }];

  const audience = new Set(boxes);
  for (const f of sorted) for (const b of f.to ?? []) audience.add(b);
  const bySet = new Map<string, { files: ContentFile[]; boxes: string[] }>();
  for (const box of [...audience].sort()) {
    const files = sorted.filter((f) => f.to === null || f.to.includes(box));
    const key = files.map((f) => f.id).join(',');
    let group = bySet.get(key);
    if (group === undefined) {
      group = { files: files.map(manifestFile), boxes: [] };
      bySet.set(key, group);
    }
    group.boxes.push(box);
  }
  const plans: ManifestOrderPlan[] = [];
  for (const g of bySet.values()) {
    for (let i = 0; i < g.boxes.length; i += MAX_ADDRESSEES) plans.push({ to: g.boxes.slice(i, i + MAX_ADDRESSEES), files: g.files });
  }
  return plans;
}
