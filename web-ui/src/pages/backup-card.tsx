import type { JSX } from 'preact';
import type { BackupHealth } from '../api.js';
import { backupNotices, backupTone, identityText, lastRunText, nextDueText, targetRows } from '../backup-view.js';
import { Card, Notice } from '../components/ui.js';
import { formatTime } from '../format.js';
import { t } from '../i18n.js';

/** The scheduled backups (`backup` of /health): the last run and each target's result, the next due time. */
export function BackupCard(props: { backup: BackupHealth }): JSX.Element {
  const b = props.backup;
  const tone = backupTone(b);
  const identity = b.last !== undefined ? identityText(b.last) : undefined;
  return (
    <Card title={t('backup')} testid="backup-card">
      {backupNotices(b).map((n) => (
        <Notice key={n.testid} kind={n.kind} testid={n.testid}>
          {n.text}
        </Notice>
      ))}
      <dl class="facts">
        <dt>{t('backupLast')}</dt>
        <dd>
          <span class={`chip ${tone === 'ok' ? 'q-good' : tone === 'warn' ? 'q-bad' : 'q-suspect'}`} data-testid="backup-last" data-result={b.last !== undefined ? b.last.result : 'none'}>
            {lastRunText(b)}
          </span>
          {identity !== undefined && <span class="sub"> {identity}</span>}
        </dd>
        <dt>{t('backupNext')}</dt>
        <dd data-testid="backup-next">{nextDueText(b)}</dd>
        {b.lastOkAt !== undefined && (
          <>
            <dt>{t('backupLastOk')}</dt>
            <dd data-testid="backup-last-ok">{formatTime(b.lastOkAt, 'short')}</dd>
          </>
        )}
        <dt>{t('backupSchedule')}</dt>
        <dd class="sub">{t('backupScheduleValue', { cron: b.schedule, tz: b.timeZone, keep: b.keep })}</dd>
      </dl>
      {b.last !== undefined && (
        <ul class="rows">
          {targetRows(b.last).map((r) => (
            <li key={r.target} data-testid="backup-target" data-target={r.target} data-result={r.result}>
              <strong>{r.name}</strong> <span class={`chip ${r.result === 'ok' ? 'q-good' : r.result === 'failed' ? 'q-bad' : 'q-suspect'}`}>{r.resultText}</span>
              {r.detail !== '' && <div class={r.failed ? 'err' : 'sub'}>{r.detail}</div>}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
