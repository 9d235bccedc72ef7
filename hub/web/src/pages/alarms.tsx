import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Card, ErrorBox } from '../../../../web-ui/src/components/ui.js';
import { formatTime } from '../../../../web-ui/src/format.js';
import { activeAlarms } from '../hub-api.js';
import { onLinkClick } from '../../../../web-ui/src/router.js';
import { t, tk } from '../text.js';
import type { AlarmsAnswer } from '../types.js';
import { usePoll } from './boxes.js';

/** Alarms not cleared, across every box (evacuate first, then prepare, oldest raise first). */
export function AlarmsPage(): JSX.Element {
  const [alarms, setAlarms] = useState<AlarmsAnswer['alarms'] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  usePoll(async () => {
    try {
      setAlarms((await activeAlarms()).alarms);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, 10_000);
  return (
    <Card title={t('alarmsTitle')} testid="alarms">
      <ErrorBox error={error} />
      {alarms !== undefined && alarms.length === 0 && <p class="empty">{t('noActiveAlarms')}</p>}
      {alarms !== undefined && alarms.length > 0 && (
        <div class="table-wrap">
          <table class="hub-table" data-testid="alarms-table">
            <thead>
              <tr>
                <th>{t('box')}</th>
                <th>{t('alarmLevel')}</th>
                <th>{t('alarmTitleField')}</th>
                <th>{t('raisedAt')}</th>
                <th>{t('state')}</th>
              </tr>
            </thead>
            <tbody>
              {alarms.map((a) => (
                <tr key={`${a.boxId}/${a.dbId}/${a.alarmId}`} data-testid="alarm-row">
                  <td>
                    <a href={`/box/${encodeURIComponent(a.boxId)}`} onClick={onLinkClick}>
                      {a.box.name ?? a.boxId}
                    </a>
                  </td>
                  <td>
                    <span class={`chip lvl-${a.level ?? 'normal'}`}>{a.level === null ? a.kind : tk(`level_${a.level}`)}</span>
                  </td>
                  <td>
                    {a.drill && <span class="chip chip-drill">{t('drill')}</span>} {a.title}
                  </td>
                  <td>{formatTime(a.raisedAt, 'short')}</td>
                  <td>{tk(`state_${a.state}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
