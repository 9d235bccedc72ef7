import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Card, ErrorBox } from '../../../../web-ui/src/components/ui.js';
import { activeAlarms, boxes } from '../hub-api.js';
import { onLinkClick } from '../../../../web-ui/src/router.js';
import { t, tk } from '../text.js';
import type { AlarmsAnswer, BoxOverview } from '../types.js';
import { boxFacts, linkClass } from './box-facts.js';

/** Refreshes `load` now and every `everyMs` while the page is open. */
export function usePoll(load: () => Promise<void>, everyMs: number, deps: readonly unknown[] = []): void {
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), everyMs);
    return () => window.clearInterval(timer);
  }, deps);
}

/** The last answer of `load`, asked now and every `everyMs`, and the error of the last try (cleared by a success). */
export function usePolledAnswer<T>(load: () => Promise<T>, everyMs: number, deps: readonly unknown[] = []): { answer: T | undefined; error: unknown } {
  const [answer, setAnswer] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  usePoll(
    async () => {
      try {
        setAnswer(await load());
        setError(undefined);
      } catch (err) {
        setError(err);
      }
    },
    everyMs,
    deps,
  );
  return { answer, error };
}

/** Every box: last contact, link state, backlog, active alarms, latest levels. */
export function BoxesPage(): JSX.Element {
  const [list, setList] = useState<readonly BoxOverview[] | undefined>(undefined);
  const [alarms, setAlarms] = useState<AlarmsAnswer['alarms']>([]);
  const [error, setError] = useState<unknown>(undefined);
  usePoll(async () => {
    try {
      const [b, a] = await Promise.all([boxes(), activeAlarms()]);
      setList(b.boxes);
      setAlarms(a.alarms);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, 10_000);
  const now = Date.now();
  return (
    <Card title={t('boxesTitle')} testid="boxes">
      <ErrorBox error={error} />
      {list !== undefined && list.length === 0 && <p class="empty">{t('noBoxes')}</p>}
      {list !== undefined && list.length > 0 && (
        <div class="table-wrap">
          <table class="hub-table" data-testid="boxes-table">
            <thead>
              <tr>
                <th>{t('box')}</th>
                <th>{t('lastContact')}</th>
                <th>{t('link')}</th>
                <th>{t('backlog')}</th>
                <th>{t('activeAlarms')}</th>
                <th>{t('latestLevels')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((b) => {
                const f = boxFacts(b, now);
                const mine = alarms.filter((a) => a.boxId === b.id);
                return (
                  <tr key={b.id} data-testid={`box-row-${b.id}`}>
                    <td>
                      <a href={`/box/${encodeURIComponent(b.id)}`} onClick={onLinkClick} data-testid={`box-link-${b.id}`}>
                        {b.name ?? b.id}
                      </a>
                      {b.revokedAt !== null && <span class="chip"> {t('revoked')}</span>}
                    </td>
                    <td data-testid="box-last-contact">{f.lastContact}</td>
                    <td class={linkClass(f.linkState)} data-testid="box-link-state">
                      {f.linkState === undefined ? '—' : tk(`link_${f.linkState}`)}
                    </td>
                    <td>{f.backlogRecords === undefined ? '—' : t('records', { n: f.backlogRecords })}</td>
                    <td data-testid="box-alarms">
                      {mine.length === 0
                        ? t('none')
                        : mine.map((a) => (
                            <div key={a.alarmId}>
                              <span class={`chip lvl-${a.level ?? 'normal'}`}>{a.level === null ? a.kind : tk(`level_${a.level}`)}</span> {a.drill ? `【${t('drill')}】` : ''}
                              {a.title}
                            </div>
                          ))}
                    </td>
                    <td data-testid="box-levels">
                      {f.levels.length === 0
                        ? '—'
                        : f.levels.map((l) => (
                            <div key={l.sensor}>
                              {l.sensor} <strong>{l.value}</strong>
                            </div>
                          ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
