import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, canOperate, get, post, type Alarm, type AlarmLevel, type AlarmList, type AlarmTransition, type AlarmWithHistory } from '../api.js';
import { displayTitle } from '../alarm-text.js';
import { DialogActions, FormOutcome, useFormAction } from '../components/form.js';
import { Card, Confirm, Dialog, ErrorBox, LevelChip, useId } from '../components/ui.js';
import { formatTime, metres } from '../format.js';
import { t, tk, type MsgKey } from '../i18n.js';
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

/** What a row's dialog does: each posts {by, note?} (shelve also minutes?) to `/alarms/:id/<mode>`. */
type AlarmAction = 'ack' | 'clear' | 'shelve' | 'unshelve';

const ACTION_TEXT: Record<AlarmAction, { title: MsgKey; submit: MsgKey }> = {
  ack: { title: 'ackTitle', submit: 'ackSubmit' },
  clear: { title: 'clearTitle', submit: 'clearAlarm' },
  shelve: { title: 'shelveTitle', submit: 'shelveSubmit' },
  unshelve: { title: 'unshelveTitle', submit: 'unshelve' },
};

/** Quick choices for how long a fault stays shelved; any whole number of minutes can be typed instead. */
const SHELVE_CHOICES = [30, 60, 120, 240];

/** Only faults are shelved (a flood alarm is acknowledged instead); the daemon refuses the rest. */
export function canShelve(a: Alarm): boolean {
  return (a.kind === 'fault' || a.kind === 'output_fault') && a.state !== 'cleared';
}

export function isShelved(a: Alarm, now: number): boolean {
  return a.shelvedUntil !== undefined && a.shelvedUntil > now;
}

/** Minutes as typed: undefined for empty (the box's default), NaN when not a whole number above 0. */
function minutesOf(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const m = Number(text);
  return Number.isInteger(m) && m > 0 ? m : NaN;
}

function AlarmActionDialog(props: { alarm: Alarm; defaultName: string; onClose: () => void; mode: AlarmAction }): JSX.Element {
  const [name, setName] = useState(props.defaultName);
  const [note, setNote] = useState('');
  const [minutes, setMinutes] = useState('');
  const act = useFormAction();
  const ids = { name: useId('ack-name'), note: useId('ack-note'), minutes: useId('shelve-minutes') };
  const shelving = props.mode === 'shelve';
  const submit = (e: Event): void => {
    e.preventDefault();
    if (name.trim() === '') return act.refuse(t('nameRequired'));
    const m = shelving ? minutesOf(minutes) : undefined;
    if (m !== undefined && isNaN(m)) return act.refuse(t('shelveMinutesInvalid'));
    void act.run(async () => {
      const body = { by: name.trim(), ...(m === undefined ? {} : { minutes: m }), ...(note.trim() === '' ? {} : { note: note.trim() }) };
      const answer = await post<{ alarm?: Alarm } | undefined>(`/alarms/${props.alarm.id}/${props.mode}`, body);
      // The answer is the alarm as changed: shown now, and no older snapshot can undo it.
      if (answer !== undefined && answer.alarm !== undefined) noteAlarm(answer.alarm);
      await refreshAlarms();
      props.onClose();
    });
  };
  // A refusal that names `minutes` (longer than this box allows) marks the field too.
  const badMinutes = act.error instanceof ApiError && act.error.problems.some((p) => p.path === 'minutes');
  const text = ACTION_TEXT[props.mode];
  return (
    <Dialog
      title={
        <>
          {props.alarm.drill && <span class="chip chip-drill">{t('drill')}</span>} {t(text.title, { title: displayTitle(props.alarm) })}
        </>
      }
      onClose={props.onClose}
      testid={props.mode === 'shelve' || props.mode === 'unshelve' ? 'shelve-dialog' : 'ack-dialog'}
    >
      <form onSubmit={submit} data-testid="ack-form">
        <label for={ids.name}>{t(props.mode === 'shelve' || props.mode === 'unshelve' ? 'actorName' : 'ackName')}</label>
        <input id={ids.name} required value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={64} data-testid="ack-name" />
        {shelving && (
          <>
            <label for={ids.minutes}>{t('shelveMinutes')}</label>
            <input
              id={ids.minutes}
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              value={minutes}
              aria-invalid={badMinutes}
              onInput={(e) => setMinutes(e.currentTarget.value)}
              data-testid="shelve-minutes"
            />
            <div class="segmented" role="group" aria-label={t('shelveChoices')}>
              {SHELVE_CHOICES.map((n) => (
                <button key={n} type="button" class="btn" aria-pressed={minutes === String(n)} onClick={() => setMinutes(String(n))} data-testid={`shelve-choice-${n}`}>
                  {t('shelveChoice', { n })}
                </button>
              ))}
            </div>
          </>
        )}
        <label for={ids.note}>{t('ackNote')}</label>
        <textarea id={ids.note} rows={3} value={note} maxLength={500} onInput={(e) => setNote(e.currentTarget.value)} data-testid="ack-note" />
        <FormOutcome action={act} />
        <DialogActions onCancel={props.onClose}>
          <button type="submit" class="btn btn-primary" disabled={act.busy} data-testid={shelving ? 'shelve-submit' : props.mode === 'unshelve' ? 'unshelve-submit' : 'ack-submit'}>
            {t(text.submit)}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

export function AlarmRow(props: { alarm: Alarm; operate: boolean; userName: string }): JSX.Element {
  const a = props.alarm;
  const [open, setOpen] = useState(false);
  const [dialog, setDialog] = useState<AlarmAction | undefined>(undefined);
  const shelvedNow = isShelved(a, Date.now());
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
          {shelvedNow && (
            <span class="chip st-shelved" data-testid="alarm-shelved">
              {t('shelvedUntil', { time: formatTime(a.shelvedUntil, 'time') })}
            </span>
          )}
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
        {props.operate && canShelve(a) && !shelvedNow && (
          <button type="button" class="btn" onClick={() => setDialog('shelve')} data-testid="shelve-button">
            {t('shelve')}
          </button>
        )}
        {props.operate && canShelve(a) && shelvedNow && (
          <button type="button" class="btn" onClick={() => setDialog('unshelve')} data-testid="unshelve-button">
            {t('unshelve')}
          </button>
        )}
        {props.operate && a.state !== 'cleared' && CLEARABLE.indexOf(a.kind) >= 0 && (
          <button type="button" class="btn" onClick={() => setDialog('clear')} data-testid="clear-button">
            {t('clearAlarm')}
          </button>
        )}
      </div>
      <div id={historyId}>{open && <History id={a.id} />}</div>
      {dialog !== undefined && <AlarmActionDialog alarm={a} mode={dialog} defaultName={props.userName} onClose={() => setDialog(undefined)} />}
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
