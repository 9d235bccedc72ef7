import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { canOperate, get, type Alarm, type AlarmList } from '../api.js';
import { Card, ErrorBox } from '../components/ui.js';
import { t } from '../i18n.js';
import { onAlarmEvent, useStore } from '../store.js';
import { ManualAlarm } from './alarm-dialogs.js';
import { AlarmRow } from './alarm-row.js';

const PAGE = 50;

export function AlarmsPage(): JSX.Element {
  const s = useStore();
  const auth = s.auth;
  const operate = auth !== undefined && canOperate(auth);
  const userName = auth !== undefined && auth.user !== undefined ? auth.user.name : '';
  const [history, setHistory] = useState<readonly Alarm[] | undefined>(undefined);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [manual, setManual] = useState(false);

  // A reload that started before the last one answered must not land after it.
  const seq = useRef({ started: 0, applied: 0 });
  const loadHistory = (before?: number): void => {
    const mine = ++seq.current.started;
    get<AlarmList>(`/alarms?state=all&limit=${PAGE}${before !== undefined ? `&to=${before}` : ''}`).then(
      (list) => {
        if (mine < seq.current.applied) return;
        seq.current.applied = mine;
        setError(undefined);
        const cleared = list.alarms.filter((a) => a.state === 'cleared');
        setHistory((prev) => (before !== undefined && prev !== undefined ? prev.concat(cleared) : cleared));
        setMore(list.truncated);
        if (before === undefined) setOldest(list.alarms.length > 0 ? list.alarms[list.alarms.length - 1]!.raisedAt : undefined);
        else setOldest(list.alarms.length > 0 ? list.alarms[list.alarms.length - 1]!.raisedAt : before);
      },
      (e: unknown) => setError(e),
    );
  };
  const [oldest, setOldest] = useState<number | undefined>(undefined);

  useEffect(() => {
    loadHistory();
    return onAlarmEvent(() => loadHistory());
  }, []);

  const active = s.activeAlarms;
  return (
    <div data-testid="alarms-page">
      {operate && (
        <div class="toolbar">
          <button type="button" class="btn btn-danger" onClick={() => setManual(true)} data-testid="manual-alarm-button">
            {t('manualAlarm')}
          </button>
        </div>
      )}
      <Card title={t('alarmsActive')} testid="active-alarms">
        {active.length === 0 ? (
          <p class="empty">{t('noActiveAlarms')}</p>
        ) : (
          <ul class="alarm-list">
            {active.map((a) => (
              <AlarmRow key={a.id} alarm={a} operate={operate} userName={userName} />
            ))}
          </ul>
        )}
      </Card>
      <Card title={t('alarmsHistory')} testid="alarm-history">
        <ErrorBox error={error} />
        {history === undefined ? (
          <p class="loading">{t('loading')}</p>
        ) : history.length === 0 ? (
          <p class="empty">{t('noAlarms')}</p>
        ) : (
          <ul class="alarm-list">
            {history.map((a) => (
              <AlarmRow key={a.id} alarm={a} operate={operate} userName={userName} />
            ))}
          </ul>
        )}
        {more && oldest !== undefined && (
          <button type="button" class="btn btn-block" onClick={() => loadHistory(oldest)} data-testid="load-more">
            {t('loadMore')}
          </button>
        )}
      </Card>
      {manual && <ManualAlarm onClose={() => setManual(false)} />}
    </div>
  );
}
