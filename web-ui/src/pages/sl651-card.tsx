import type { JSX } from 'preact';
import type { Sl651CentreHealth } from '../api.js';
import { Card } from '../components/ui.js';
import { formatTime } from '../format.js';
import { t, tk } from '../i18n.js';

/** The SL 651 centre links (`uplinks.sl651` of /health): connection, reports awaiting confirmation, last confirmation. */
export function Sl651Card(props: { centres: readonly Sl651CentreHealth[] }): JSX.Element {
  return (
    <Card title={t('sl651')} testid="sl651-card">
      <ul class="rows">
        {props.centres.map((c) => (
          <li key={c.id} data-testid="sl651-centre" data-centre={c.id} data-state={c.state}>
            <strong>{c.id}</strong>{' '}
            <span class={`chip ${c.state === 'connected' ? 'q-good' : c.state === 'backoff' ? 'q-bad' : 'q-suspect'}`}>{tk(`sl651State_${c.state}`)}</span>
            <div class="sub">
              {c.address} · {t('sl651Centre')} {c.centre} · {t('sl651Station')} {c.station} · {c.encoding.toUpperCase()}
            </div>
            <dl class="facts">
              <dt>{t('sl651Queue')}</dt>
              <dd data-testid="sl651-queue">
                {t('sl651QueueValue', { n: c.queueLength })}
                {c.oldestQueuedAt !== undefined ? ` · ${t('sl651OldestQueued')} ${formatTime(c.oldestQueuedAt, 'short')}` : ''}
              </dd>
              <dt>{t('sl651LastConfirmed')}</dt>
              <dd data-testid="sl651-last-confirmed">{c.lastConfirmedAt !== undefined ? formatTime(c.lastConfirmedAt, 'short') : '—'}</dd>
            </dl>
            <div class="sub">
              {t('sl651Counters', { sent: c.counters.reportsSent, ok: c.counters.reportsConfirmed, resent: c.counters.resends, q: c.counters.queriesAnswered })}
              {c.counters.clockSetsRefused > 0 ? ` · ${t('sl651ClockRefused', { n: c.counters.clockSetsRefused })}` : ''}
            </div>
            {c.lastError !== undefined && c.state !== 'connected' && (
              <div class="err">
                {t('lastError')}
                {t('colon')}
                {c.lastError}
                {c.nextAttemptAt !== undefined ? ` · ${t('syncNextAttempt', { time: formatTime(c.nextAttemptAt, 'short') })}` : ''}
              </div>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}
