/**
 * Which media to delete when the disk quota or a file system's free space is short: pure, given what was measured.
 *
 * Order, gentlest first:
 * 1. `segments`: the original MPEG-TS segments of settled recordings that have a browser copy on disk (`spareBytes` >
 *    0), oldest first. The recording stays, watchable through its MP4; the segments only double its size.
 * 2. `recording`: whole recordings that are neither pinned nor still being written, oldest first. One whose segments
 *    went in step 1 of the same plan counts only what is left of it (`bytes - spareBytes`).
 * 3. `library`: only when the config allows it, library items that did not come from the county (imported or added by
 *    hand), oldest first.
 * Camera pictures (node-daemon/camera) come in two places: those not tied to an alarm (scheduled pictures) before
 * everything else, oldest first (the next interval brings another); those of an alarm (taken for it, or its "before")
 * after the recordings and before the library: the record of a flood outweighs a television programme.
 * Nothing else is a candidate: pinned recordings (kept as they are, segments included), the county's content (the
 * county wants it on the box and the sync would fetch it again), and never the database, readings or alarms, which
 * are not media at all.
 *
 * A candidate is taken only while it helps a shortfall still open: any candidate counts against the quota, but a
 * file system's free space is helped only by a candidate stored on it. The plan says whether it relieves everything;
 * when it cannot, the box raises a fault alarm.
 */

export interface RecordingCandidate {
  readonly id: string;
  /** When it ended (or started, if that is what is known): UTC ms. */
  readonly at: number;
  /** Everything of it on disk: its folder (segments and browser copy) and a browser copy kept elsewhere. */
  readonly bytes: number;
  /**
   * Bytes of its original segments that may go while the recording stays (it is settled and its browser copy is on
   * disk): 0 when they may not (no copy, the copy failed, a codec browsers cannot play) or are gone already.
   */
  readonly spareBytes: number;
  /** The file system it lives on (stat `dev`). */
  readonly device: string;
  readonly pinned: boolean;
  /** Still being recorded or processed: never evicted. */
  readonly active: boolean;
}

export interface LibraryCandidate {
  readonly id: string;
  /** When it was added (UTC ms). */
  readonly at: number;
  readonly bytes: number;
  readonly device: string;
  readonly source: 'county' | 'usb' | 'operator';
}

export interface ImageCandidate {
  readonly id: string;
  /** When it was taken (UTC ms). */
  readonly at: number;
  /** The picture and its thumbnail. */
  readonly bytes: number;
  readonly device: string;
  /** Taken for an alarm, or linked to one as its "before". */
  readonly alarm: boolean;
}

export interface QuotaPolicy {
  readonly quotaBytes?: number;
  readonly minFreeBytes: number;
  readonly evictLibrary: boolean;
}

export interface MediaMeasure {
  /** Bytes of recordings, library, county content and camera pictures together. */
  readonly usedBytes: number;
  /** Free bytes of each file system holding the database or media, by device. */
  readonly freeByDevice: Readonly<Record<string, number>>;
}

export type Eviction =
  /** A recording's original segments; the recording and its browser copy stay. */
  | { readonly kind: 'segments'; readonly id: string; readonly bytes: number; readonly device: string }
  | { readonly kind: 'recording'; readonly id: string; readonly bytes: number; readonly device: string }
  | { readonly kind: 'library'; readonly id: string; readonly bytes: number; readonly device: string }
  /** A camera picture not tied to an alarm; `alarm_image`: one of an alarm. */
  | { readonly kind: 'image' | 'alarm_image'; readonly id: string; readonly bytes: number; readonly device: string };

export interface EvictionPlan {
  /** In the order to delete them. */
  readonly evict: readonly Eviction[];
  /** Bytes over the quota before any eviction (0 when within it or without a quota). */
  readonly overQuotaBytes: number;
  /** Bytes missing to minFreeBytes before any eviction, by device (only devices short of it). */
  readonly shortByDevice: Readonly<Record<string, number>>;
  /** Whether deleting `evict` closes every shortfall. */
  readonly relieved: boolean;
}

const byAgeThenId = <T extends { readonly at: number; readonly id: string }>(a: T, b: T): number => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The candidates in the order they may go, whatever is short. A `recording` here carries all its bytes; the plan
 * counts only the rest of one whose `segments` it took before.
 */
export function evictionOrder(
  policy: Pick<QuotaPolicy, 'evictLibrary'>,
  recordings: readonly RecordingCandidate[],
  library: readonly LibraryCandidate[],
  images: readonly ImageCandidate[] = [],
): Eviction[] {
  const pictures = [...images].sort(byAgeThenId);
  const plain = pictures.filter((i) => !i.alarm).map((i): Eviction => ({ kind: 'image', id: i.id, bytes: i.bytes, device: i.device }));
  const ofAlarms = pictures.filter((i) => i.alarm).map((i): Eviction => ({ kind: 'alarm_image', id: i.id, bytes: i.bytes, device: i.device }));
  const settled = recordings.filter((r) => !r.pinned && !r.active).sort(byAgeThenId);
  const segments = settled
    .filter((r) => r.spareBytes > 0)
    .map((r): Eviction => ({ kind: 'segments', id: r.id, bytes: r.spareBytes, device: r.device }));
  const recs = settled.map((r): Eviction => ({ kind: 'recording', id: r.id, bytes: r.bytes, device: r.device }));
  const items = policy.evictLibrary
    ? library
        .filter((l) => l.source !== 'county')
        .sort(byAgeThenId)
        .map((l): Eviction => ({ kind: 'library', id: l.id, bytes: l.bytes, device: l.device }))
    : [];
  return [...plain, ...segments, ...recs, ...ofAlarms, ...items];
}

export function planEviction(
  policy: QuotaPolicy,
  measure: MediaMeasure,
  recordings: readonly RecordingCandidate[],
  library: readonly LibraryCandidate[],
  images: readonly ImageCandidate[] = [],
): EvictionPlan {
  const overQuotaBytes = policy.quotaBytes === undefined ? 0 : Math.max(0, measure.usedBytes - policy.quotaBytes);
  const shortByDevice: Record<string, number> = {};
  for (const [device, free] of Object.entries(measure.freeByDevice)) {
    if (free < policy.minFreeBytes) shortByDevice[device] = policy.minFreeBytes - free;
  }
  let quotaLeft = overQuotaBytes;
  const shortLeft = new Map(Object.entries(shortByDevice));
  const evict: Eviction[] = [];
  /** Recordings whose segments this plan takes: deleted whole later, only the rest of them is freed. */
  const spared = new Map<string, number>();
  for (const next of evictionOrder(policy, recordings, library, images)) {
    const open = quotaLeft > 0 || shortLeft.size > 0;
    if (!open) break;
    const helpsDevice = shortLeft.has(next.device);
    if (quotaLeft <= 0 && !helpsDevice) continue;
    const taken = next.kind === 'recording' ? spared.get(next.id) : undefined;
    const c: Eviction = taken === undefined ? next : { ...next, bytes: Math.max(0, next.bytes - taken) };
    if (c.kind === 'segments') spared.set(c.id, c.bytes);
    evict.push(c);
    quotaLeft -= c.bytes;
    if (helpsDevice) {
      const left = (shortLeft.get(c.device) ?? 0) - c.bytes;
      if (left > 0) shortLeft.set(c.device, left);
      else shortLeft.delete(c.device);
    }
  }
  return { evict, overQuotaBytes, shortByDevice, relieved: quotaLeft <= 0 && shortLeft.size === 0 };
}
