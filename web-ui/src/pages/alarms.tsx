import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { canOperate, get, post, type Alarm, type AlarmLevel, type AlarmList, type AlarmTransition, type AlarmWithHistory } from '../api.js';
import { displayTitle } from '../alarm-text.js';
import { DialogActions, FormOutcome, useFormAction } from '../components/form.js';
import { Card, Confirm, Dialog, ErrorBox, LevelChip, useId } from '../components/ui.js';
import { formatTime, metres } from '../format.js';
import { t, tk } from '../i18n.js';
import { noteAlarm, onAlarmEvent, refreshAlarms, useStore } from '../store.js';

const CLEARABLE = ['manual', 'county'];

function causeText(tr: AlarmTransition): string {
  const c = tr.cause;
  const parts: string[] = [];
  if (c.sensorId !== undefined && c.value !== undefined) {
    parts.push(t('causeReading', { sensor: c.sensorId, value: metres(c.value), time: formatTime(c.readingTs, 'full') }));
  }
  if (c.rule !== undefined) parts.push(t('causeRule', { rule: c.rule }));
  if (c.detail !== undefined) parts.push(c.detail);
  return parts.join('；');
}

function History(props: { id: number }): JSX.Element {
  const [alarm, setAlarm] = useState<AlarmWithHistory | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    let cancelled = false;
    const load = (): void => {
      get<AlarmWithHistory>(`/alarms/${props.id}`).then(
        (a) => {
          if (cancelled) return;
          noteAlarm(a);
          // Never step back to an older copy (a slow answer after a newer one).
          setAlarm((prev) => (prev !== undefined && prev.updatedAt > a.updatedAt ? prev : a));
        },
        (e: unknown) => !cancelled && setError(e),
      );
    };
    load();
    const off = onAlarmEvent(load);
    return () => {
      cancelled = true;
      off();
    };
  }, [props.id]);
  if (error !== undefined) return <ErrorBox error={error} />;
  if (alarm === undefined) return <p class="loading">{t('loading')}</p>;
  return (
    <ol class="transitions" data-testid="transition-list">
      {alarm.transitions.map((tr) => (
        <li key={tr.id} data-testid="transition">
          <time>{formatTime(tr.ts)}</time> <strong>{tk(`tr_${tr.type}`)}</strong> {tr.level !== null && <LevelChip level={tr.level} />}
          {tr.by !== undefined && <span> · {t('by', { name: tr.by })}</span>}
          {tr.note !== undefined && tr.note !== '' && (
            <span>
              {' '}
              · {t('note')}
              {t('colon')}
              {tr.note}
            </span>
          )}
          {causeText(tr) !== '' && (
            <div class="cause">
              {t('cause')}
              {t('colon')}
              {causeText(tr)}
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}

function AckDialog(props: { alarm: Alarm; defaultName: string; onClose: () => void; mode: 'ack' | 'clear' }): JSX.Element {
  const [name, setName] = useState(props.defaultName);
  const [note, setNote] = useState('');
  const act = useFormAction();
  const ids = { name: useId('ack-name'), note: useId('ack-note') };
  const submit = (e: Event): void => {
    e.preventDefault();
    if (name.trim() === '') return act.refuse(t('nameRequired'));
    void act.run(async () => {
      const answer = await post<{ alarm?: Alarm } | undefined>(`/alarms/${props.alarm.id}/${props.mode}`, { by: name.trim(), ...(note.trim() === '' ? {} : { note: note.trim() }) });
      // The answer is the alarm as changed: shown now, and no older snapshot can undo it.
      if (answer !== undefined && answer.alarm !== undefined) noteAlarm(answer.alarm);
      await refreshAlarms();
      props.onClose();
    });
  };
  return (
    <Dialog
      title={
        <>
          {props.alarm.drill && <span class="chip chip-drill">{t('drill')}</span>} {t(props.mode === 'ack' ? 'ackTitle' : 'clearTitle', { title: displayTitle(props.alarm) })}
        </>
      }
      onClose={props.onClose}
      testid="ack-dialog"
    >
      <form onSubmit={submit} data-testid="ack-form">
        <label for={ids.name}>{t('ackName')}</label>
        <input id={ids.name} required value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={64} data-testid="ack-name" />
        <label for={ids.note}>{t('ackNote')}</label>
        <textarea id={ids.note} rows={3} value={note} maxLength={500} onInput={(e) => setNote(e.currentTarget.value)} data-testid="ack-note" />
        <FormOutcome action={act} />
        <DialogActions onCancel={props.onClose}>
          <button type="submit" class="btn btn-primary" disabled={act.busy} data-testid="ack-submit">
            {props.mode === 'ack' ? t('ackSubmit') : t('clearAlarm')}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

export function AlarmRow(props: { alarm: Alarm; operate: boolean; userName: string }): JSX.Element {
  const a = props.alarm;
  const [open, setOpen] = useState(false);
  const [dialog, setDialog] = useState<'ack' | 'clear' | undefined>(undefined);
  const historyId = useId('alarm-history');
  return (
    <li class={`alarm-row state-${a.state} ${a.level !== null ? `lvl-row-${a.level}` : 'lvl-row-fault'}`} data-testid="alarm-row" data-alarm-id={a.id} data-state={a.state}>
      <div class="alarm-main">
        <div class="alarm-title">
          {a.drill && <span class="chip chip-drill">{t('drill')}</span>} <strong data-testid="alarm-title">{displayTitle(a)}</strong>
        </div>
        <div class="alarm-meta">
          {a.level !== null && <LevelChip level={a.level} />} <span class="chip">{tk(`kind_${a.kind}`)}</span> <span class={`chip st-${a.state}`} data-testid="alarm-state">{tk(`alarmState_${a.state}`)}</span>{' '}
          <span>
            {t('raisedAt')} {formatTime(a.raisedAt)}
          </span>
          {a.acknowledgedBy !== undefined && (
            <span>
              {' '}
              · {t('ackDone')} {t('by', { name: a.acknowledgedBy })} {formatTime(a.acknowledgedAt, 'short')}
              {a.ackNote !== undefined && a.ackNote !== '' ? ` · ${a.ackNote}` : ''}
            </span>
          )}
        </div>
      </div>
      <div class="alarm-actions">
        <button type="button" class="btn" aria-expanded={open} aria-controls={historyId} onClick={() => setOpen(!open)} data-testid="history-toggle">
          {open ? t('hideHistory') : t('showHistory')}
        </button>
        {props.operate && a.state === 'active' && (
          <button type="button" class="btn btn-primary" onClick={() => setDialog('ack')} data-testid="ack-button">
            {t('ack')}
          </button>
        )}
        {props.operate && a.state !== 'cleared' && CLEARABLE.indexOf(a.kind) >= 0 && (
          <button type="button" class="btn" onClick={() => setDialog('clear')} data-testid="clear-button">
            {t('clearAlarm')}
          </button>
        )}
      </div>
      <div id={historyId}>{open && <History id={a.id} />}</div>
      {dialog !== undefined && <AckDialog alarm={a} mode={dialog} defaultName={props.userName} onClose={() => setDialog(undefined)} />}
    </li>
  );
}

function ManualAlarm(props: { userName: string; onClose: () => void }): JSX.Element {
  const s = useStore();
  const [level, setLevel] = useState<AlarmLevel>('prepare');
  const [siteId, setSiteId] = useState('');
  const [message, setMessage] = useState('');
  const [by, setBy] = useState(props.userName);
  const [drill, setDrill] = useState(true);
  const [confirming, setConfirming] = useState(false);
  const act = useFormAction();
  const ids = { level: useId('m-level'), site: useId('m-site'), msg: useId('m-msg'), by: useId('m-by'), drill: useId('m-drill') };
  const sites = s.sites !== null && s.sites !== undefined ? s.sites : [];

  const send = async (): Promise<void> => {
    const ok = await act.run(async () => {
      await post('/alarms', {
        level,
        drill,
        by: by.trim(),
        ...(siteId === '' ? {} : { siteId }),
        ...(message.trim() === '' ? {} : { message: message.trim() }),
      });
      await refreshAlarms();
      props.onClose();
    });
    // Back to the form, where the daemon's refusal shows.
    if (!ok) setConfirming(false);
  };

  if (confirming) {
    return <Confirm title={t('confirmTitle')} text={t(drill ? 'confirmDrill' : 'confirmManual', { level: tk(`level_${level}`) })} onOk={() => void send()} onCancel={() => setConfirming(false)} busy={act.busy} />;
  }
  return (
    <Dialog title={t('manualTitle')} onClose={props.onClose} testid="manual-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (by.trim() === '') return act.refuse(t('nameRequired'));
          act.clear();
          setConfirming(true);
        }}
        data-testid="manual-form"
      >
        <label for={ids.level}>{t('manualLevel')}</label>
        <select id={ids.level} value={level} onChange={(e) => setLevel(e.currentTarget.value as AlarmLevel)} data-testid="manual-level">
          <option value="prepare">{t('level_prepare')}</option>
          <option value="evacuate">{t('level_evacuate')}</option>
        </select>
        <label for={ids.site}>{t('manualSite')}</label>
        <select id={ids.site} value={siteId} onChange={(e) => setSiteId(e.currentTarget.value)} data-testid="manual-site">
          <option value="">{t('manualAllSites')}</option>
          {sites.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
        <label for={ids.msg}>{t('manualMessage')}</label>
        <textarea id={ids.msg} rows={3} maxLength={2000} value={message} onInput={(e) => setMessage(e.currentTarget.value)} data-testid="manual-message" />
        <label for={ids.by}>{t('manualBy')}</label>
        <input id={ids.by} required maxLength={64} value={by} onInput={(e) => setBy(e.currentTarget.value)} data-testid="manual-by" />
        <div class="check">
          <input id={ids.drill} type="checkbox" checked={drill} onChange={(e) => setDrill(e.currentTarget.checked)} data-testid="drill-checkbox" />
          <label for={ids.drill}>{t('drillCheckbox')}</label>
        </div>
        <FormOutcome action={act} />
        <DialogActions onCancel={props.onClose}>
          <button type="submit" class="btn btn-danger" data-testid="manual-submit">
            {t('manualAlarm')}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

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
      {manual && <ManualAlarm userName={userName} onClose={() => setManual(false)} />}
    </div>
  );
}
