/**
 * Publishing content at the hub (docs/sync.md "Content"): the bytes stored once by sha256 (blob-store.ts), a row in
 * hub_content_files (content-store.ts), then content_manifest orders that give every box its complete set
 * (manifests.ts), signed and queued by the orders module (`issueOrder`, hub/orders). Used by `fenghuo hub publish`
 * and `POST /api/v1/content`.
 */
import { contentFileSchema, MAX_ORDER_LIFETIME_MS, type ContentFile } from '../../node-daemon/sync/protocol/order-schema.js';
import type { Logger } from '../../node-daemon/core/log.js';
import type { HubStore } from '../store/types.js';
import { storeBlob } from './blob-store.js';
import { HubContentStore, type PublishedFile } from './content-store.js';
import { manifestOrders } from './manifests.js';

/** What the content module asks of the orders module: one signed order, queued for its boxes. */
export interface ManifestOrderRequest {
  readonly kind: 'content_manifest';
  readonly body: { readonly files: readonly ContentFile[] };
  readonly to: '*' | readonly string[];
  /** Who at the county issued it. */
  readonly by: string;
  /** How long it is valid, ms (at most 30 days). */
  readonly ttl: number;
}
export interface IssuedOrderRef {
  readonly id: string;
  readonly seq?: number;
}
export type IssueManifestOrder = (req: ManifestOrderRequest) => Promise<IssuedOrderRef>;

/** A manifest order lives as long as an order may: a box that is offline for weeks still gets it. */
export const MANIFEST_TTL_MS = MAX_ORDER_LIFETIME_MS;

export interface ContentDeps {
  readonly store: HubStore;
  /** `<hub dataDir>/content`. */
  readonly contentDir: string;
  /** The largest file taken, bytes (config limits.maxContentBytes). */
  readonly maxContentBytes: number;
  readonly log: Logger;
  readonly clock: () => number;
  /** The orders module's issueOrder; without it files are stored and listed but no order goes out (logged). */
  readonly issue?: IssueManifestOrder;
}

export interface PublishRequest {
  readonly path: string;
  readonly title?: string;
  readonly mediaType?: string;
  readonly to?: readonly string[];
  readonly by: string;
}

export type CheckedPublish = { readonly ok: true } | { readonly ok: false; readonly param: 'path' | 'title' | 'mediaType' | 'to'; readonly message: string };

const BOX_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The same rules a box applies to a manifest entry, so the county cannot publish what a box would refuse. */
export function checkPublish(r: Omit<PublishRequest, 'by'>): CheckedPublish {
  const entry = contentFileSchema.safeParse({ path: r.path, size: 0, sha256: '0'.repeat(64), ...(r.title === undefined ? {} : { title: r.title }), ...(r.mediaType === undefined ? {} : { mediaType: r.mediaType }) });
  if (!entry.success) {
    const issue = entry.error.issues[0];
    const param = issue?.path[0] === 'title' ? 'title' : issue?.path[0] === 'mediaType' ? 'mediaType' : 'path';
    return { ok: false, param, message: `${param}: ${issue?.message ?? 'invalid'}` };
  }
  if (r.to !== undefined) {
    if (r.to.length === 0) return { ok: false, param: 'to', message: 'to: name at least one box, or leave it out for every box' };
    const bad = r.to.find((b) => !BOX_ID.test(b));
    if (bad !== undefined) return { ok: false, param: 'to', message: `to: ${JSON.stringify(bad.slice(0, 80))} is not a box id` };
  }
  return { ok: true };
}

export interface PublishResult {
  readonly file: PublishedFile;
  readonly replaced: PublishedFile | undefined;
  /** The orders issued; undefined when the hub has no orders module to issue them. */
  readonly orders: readonly IssuedOrderRef[] | undefined;
}

/** Stores the bytes and the publication, then tells the boxes. Throws BlobTooLarge above maxContentBytes. */
export async function publishContent(deps: ContentDeps, source: AsyncIterable<Uint8Array>, r: PublishRequest): Promise<PublishResult> {
  const checked = checkPublish(r);
  if (!checked.ok) throw new Error(checked.message);
  const blob = await storeBlob(deps.contentDir, source, deps.maxContentBytes);
  const content = new HubContentStore(deps.store.sql);
  const { file, replaced } = await content.publish(
    {
      sha256: blob.sha256,
      size: blob.size,
      path: r.path,
      ...(r.title === undefined ? {} : { title: r.title }),
      ...(r.mediaType === undefined ? {} : { mediaType: r.mediaType }),
      ...(r.to === undefined ? {} : { to: r.to }),
      by: r.by,
    },
    deps.clock(),
  );
  deps.log.info(
    { event: 'hub.content.published', path: file.path, sha256: file.sha256, size: file.size, to: file.to ?? '*', by: r.by, replaced: replaced?.sha256 ?? null, stored: blob.created },
    `published ${file.path} (${file.size} bytes)`,
  );
  const orders = await issueManifests(deps, r.by);
  return { file, replaced, orders };
}

/** Withdraws the file at `path` and tells the boxes (they delete it); undefined when nothing is published there. */
export async function withdrawContent(deps: ContentDeps, path: string, by: string): Promise<{ readonly file: PublishedFile; readonly orders: readonly IssuedOrderRef[] | undefined } | undefined> {
  const file = await new HubContentStore(deps.store.sql).withdraw(path, deps.clock());
  if (file === undefined) return undefined;
  deps.log.info({ event: 'hub.content.withdrawn', path, sha256: file.sha256, by }, `withdrew ${path}`);
  return { file, orders: await issueManifests(deps, by) };
}

const sameSet = (a: readonly PublishedFile[], b: readonly PublishedFile[]): boolean => a.map((f) => f.id).join(',') === b.map((f) => f.id).join(',');

/**
 * Issues the orders for the content as it is now. Two hub processes publishing at once could each issue a set read
 * before the other's row existed; so after issuing, the set is read again and, if it moved, issued again: the last
 * manifest a box receives is then never older than the last publication.
 */
export async function issueManifests(deps: ContentDeps, by: string): Promise<readonly IssuedOrderRef[] | undefined> {
  if (deps.issue === undefined) {
    deps.log.warn({ event: 'hub.content.no_orders' }, 'content stored, but this hub has no orders module: no manifest was sent to the boxes');
    return undefined;
  }
  const content = new HubContentStore(deps.store.sql);
  const issued: IssuedOrderRef[] = [];
  let snapshot = await content.current();
  for (let round = 0; round < 5; round += 1) {
    const boxes = (await deps.store.listBoxes()).filter((b) => b.revokedAt === null).map((b) => b.id);
    for (const plan of manifestOrders(snapshot, boxes)) {
      const ref = await deps.issue({ kind: 'content_manifest', body: { files: plan.files }, to: plan.to, by, ttl: MANIFEST_TTL_MS });
      issued.push(ref);
      deps.log.info(
        { event: 'hub.content.manifest_issued', order: ref.id, seq: ref.seq ?? null, to: plan.to === '*' ? '*' : plan.to.length, files: plan.files.length },
        `content manifest of ${plan.files.length} files issued`,
      );
    }
    const now = await content.current();
    if (sameSet(now, snapshot)) break;
    snapshot = now;
  }
  return issued;
}
