/**
 * The county link (`sync` of GET /health) as the 设备 page shows it: the state's tone, the lanes in priority order,
 * budget lines, and the notices an installer must act on. Pure: the page renders what this returns.
 */
import type { Health } from './api.js';
import { bytes, formatAge, formatTime } from './format.js';
import { t, tk } from './i18n.js';

export type SyncView = NonNullable<Health['sync']>;
type State = SyncView['state'];
type Lane = keyof SyncView['backlog'];

export const SYNC_LANES: readonly Lane[] = ['alarm', 'health', 'readings', 'bulk'];

/** The chip's colour class: good, waiting, or needs someone. */
export function syncTone(state: State): 'ok' | 'info' | 'warn' {
  switch (state) {
    case 'up':
      return 'ok';
    case 'backoff':
    case 'over_budget':
    case 'not_enrolled':
      return 'info';
    case 'down':
    case 'stale_database':
    case 'certificate_refused':
      return 'warn';
  }
}

export interface LaneRow {
  readonly lane: Lane;
  readonly name: string;
  readonly records: number;
  readonly size: string;
  readonly oldest: string;
}

export function laneRows(s: SyncView): LaneRow[] {
  return SYNC_LANES.map((lane) => {
    const b = s.backlog[lane];
    return { lane, name: tk(`syncLane_${lane}`), records: b.records, size: b.records > 0 ? bytes(b.bytes) : '—', oldest: b.oldestAgeMs === null ? '—' : formatAge(b.oldestAgeMs) };
  });
}

/** "1.2 MB / 5.0 MB（24%）", or "1.2 MB（不限）" without a limit. */
export function budgetText(used: number, limit: number | undefined): string {
  if (limit === undefined) return t('syncBudgetNoLimit', { used: bytes(used) });
  const pct = limit > 0 ? Math.min(999, Math.round((used / limit) * 100)) : 100;
  return t('syncBudgetOf', { used: bytes(used), limit: bytes(limit), pct });
}

export function lastContactText(s: SyncView): string {
  return s.lastSuccessAt === undefined ? t('syncNever') : formatTime(s.lastSuccessAt);
}

/** The pictures' line: "待传缩略图 3 张 · 原图 2 张（1.2 MB）", what they wait for; undefined when the box sends none. */
export function imagesText(s: SyncView): string | undefined {
  const i = s.images;
  if (i === undefined) return undefined;
  if (i.state === 'unsupported') return t('syncImagesUnsupported');
  if (i.thumbsOwed === 0 && i.fullOwed === 0) return t('syncImagesDone');
  const owed = t('syncImagesOwed', { thumbs: i.thumbsOwed, full: i.fullOwed, size: bytes(i.fullOwedBytes) });
  return i.state === 'waiting' && i.waitingFor === 'budget_share' ? `${owed} · ${t('syncImagesFullWaits')}` : owed;
}

export interface SyncNotice {
  readonly kind: 'info' | 'warn';
  readonly text: string;
  readonly testid: string;
}

/** What the installer must know, most urgent first. */
export function syncNotices(s: SyncView): SyncNotice[] {
  const out: SyncNotice[] = [];
  if (s.state === 'stale_database') out.push({ kind: 'warn', text: t('syncStaleHelp'), testid: 'sync-stale' });
  if (s.state === 'certificate_refused') out.push({ kind: 'warn', text: t('syncCertHelp'), testid: 'sync-cert' });
  if (s.state === 'not_enrolled') out.push({ kind: 'info', text: t('syncNotEnrolledHelp'), testid: 'sync-not-enrolled' });
  if (s.configuredBoxId !== undefined && s.boxId !== undefined) {
    out.push({ kind: 'warn', text: t('syncBoxIdMismatch', { configured: s.configuredBoxId, enrolled: s.boxId }), testid: 'sync-box-id' });
  }
  if (s.isolating !== undefined) out.push({ kind: 'info', text: t('syncIsolating', { n: s.isolating.maxRecords }), testid: 'sync-isolating' });
  return out;
}
