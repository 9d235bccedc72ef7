/**
 * The last software update (`update` of GET /health) as the 设备 page shows it: one line saying what happened, and
 * whether an installer must look (a rollback, a failure, an update that never finished). Pure: the page renders it.
 */
import type { UpdateHealth } from './api.js';
import { formatTime } from './format.js';
import { t, tk } from './i18n.js';

export type UpdateTone = 'ok' | 'warn' | 'info';

export interface UpdateLine {
  readonly tone: UpdateTone;
  /** "软件更新 0.1.0 → 0.2.0 · 已自动回退 · 2026-07-02 03:30". */
  readonly text: string;
  /** Why, in the updater's words (shown under the line when it is not a plain success). */
  readonly reason?: string;
}

export function updateLine(u: UpdateHealth): UpdateLine {
  const versions = u.toVersion === undefined ? u.fromVersion : `${u.fromVersion} → ${u.toVersion}`;
  const what = u.kind === 'manual-rollback' ? t('updateKind_manual', { versions }) : t('updateKind_update', { versions });
  const text = `${what} · ${tk(`updateOutcome_${u.outcome}`)} · ${formatTime(u.finishedAt ?? u.at, 'short')}`;
  const tone: UpdateTone = u.outcome === 'updated' ? 'ok' : u.outcome === 'in-progress' ? 'info' : 'warn';
  return tone === 'ok' ? { tone, text } : { tone, text, reason: u.reason };
}
