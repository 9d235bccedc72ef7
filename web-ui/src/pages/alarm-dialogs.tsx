import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, post, type Alarm, type AlarmChange, type AlarmLevel } from '../api.js';
import { displayTitle } from '../alarm-text.js';
import { DialogActions, FormOutcome, useFormAction } from '../components/form.js';
import { Dialog, useId } from '../components/ui.js';
import { t, tk, type MsgKey } from '../i18n.js';
import { ackSilences, ackText, actionBody, manualBody, stopEffects, type ActionBody, type ManualBody, type ManualKind } from '../night-alarm.js';
import { noteAlarm, refreshAlarms, state, useStore } from '../store.js';

/** What a row's dialog does: each posts {by?, note?} (shelve also minutes?) to `/alarms/:id/<mode>`. */
export type AlarmAction = 'ack' | 'clear' | 'shelve' | 'unshelve';

/** Acknowledging is 停止鸣响 or 已知晓 (see `ackText`): never words that read as "confirm the alarm is real". */
const ACTION_TEXT: Record<Exclude<AlarmAction, 'ack'>, { title: MsgKey; submit: MsgKey }> = {
  clear: { title: 'clearTitle', submit: 'clearAlarm' },
  shelve: { title: 'shelveTitle', submit: 'shelveSubmit' },
  unshelve: { title: 'unshelveTitle', submit: 'unshelve' },
};

/** Quick choices for how long a fault stays shelved; any whole number of minutes can be typed instead. */
const SHELVE_CHOICES = [30, 60, 120, 240];

/** Minutes as typed: undefined for empty (the box's default), NaN when not a whole number above 0. */
function minutesOf(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const m = Number(text);
  return Number.isInteger(m) && m > 0 ? m : NaN;
}

function accountName(): string | undefined {
  const auth = state.auth;
  return auth !== undefined && auth.user !== undefined && auth.user.name !== '' ? auth.user.name : undefined;
}

/** The 代表（可不填） field of every action dialog: empty, never the user's own name. */
function OnBehalfField(props: { value: string; onInput: (v: string) => void; testid: string }): JSX.Element {
  const ids = { input: useId('on-behalf'), hint: useId('on-behalf-hint') };
  const account = accountName();
  return (
    <>
      <label for={ids.input}>{t('onBehalfOf')}</label>
      <input id={ids.input} maxLength={64} value={props.value} aria-describedby={ids.hint} autoComplete="off" onInput={(e) => props.onInput(e.currentTarget.value)} data-testid={props.testid} />
      <small id={ids.hint} class="hint">
        {account !== undefined ? t('onBehalfHint', { account }) : t('onBehalfHintNoAccount')}
      </small>
    </>
  );
}

/** What acknowledging does, said before it is done: what stops (or goes on, per the plan), what stays, that the alarm stays open. */
function StopSirenEffects(props: { alarm: Alarm; silences: boolean | undefined }): JSX.Element {
  const lines = stopEffects(props.alarm.level, props.silences);
  return (
    <ul class="stop-effects" data-testid="ack-effects">
      {lines.map(([head, text]) => (
        <li key={text}>
          <strong>
            {t(head)}
            {t('colon')}
          </strong>
          {t(text)}
        </li>
      ))}
    </ul>
  );
}

export function AlarmActionDialog(props: { alarm: Alarm; onClose: () => void; mode: AlarmAction }): JSX.Element {
  const [by, setBy] = useState('');
  const [note, setNote] = useState('');
  const [minutes, setMinutes] = useState('');
  const act = useFormAction();
  const ids = { note: useId('ack-note'), minutes: useId('shelve-minutes') };
  const shelving = props.mode === 'shelve';
  const submit = (e: Event): void => {
    e.preventDefault();
    const m = shelving ? minutesOf(minutes) : undefined;
    if (m !== undefined && isNaN(m)) return act.refuse(t('shelveMinutesInvalid'));
    void act.run(async () => {
      const body = actionBody({ by, note, ...(m === undefined ? {} : { minutes: m }) });
      const answer = await post<AlarmChange, ActionBody>(`/alarms/${props.alarm.id}/${props.mode}`, body);
      // The answer is the alarm as changed: shown now, and no older snapshot can undo it.
      noteAlarm(answer.alarm);
      await refreshAlarms();
      props.onClose();
    });
  };
  // A refusal that names `minutes` (longer than this box allows) marks the field too.
  const badMinutes = act.error instanceof ApiError && act.error.problems.some((p) => p.path === 'minutes');
  // Whether acknowledging silences this level is the dispatch plan's (GET /outputs); a fault only stops the screens' beep.
  const silences = ackSilences(useStore().outputs, props.alarm.level);
  const text = props.mode === 'ack' ? ackText(props.alarm.level, silences) : ACTION_TEXT[props.mode];
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
        {props.mode === 'ack' && <StopSirenEffects alarm={props.alarm} silences={silences} />}
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
        <OnBehalfField value={by} onInput={setBy} testid="ack-name" />
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

/** One big radio card (the label is the touch target). */
function Choice(props: { name: string; checked: boolean; onPick: () => void; title: string; sub: string; kind: string; testid: string }): JSX.Element {
  const id = useId('choice');
  return (
    <label for={id} class={`choice choice-${props.kind} ${props.checked ? 'choice-on' : ''}`}>
      <input id={id} type="radio" name={props.name} checked={props.checked} onChange={props.onPick} data-testid={props.testid} />
      <span class="choice-text">
        <span class="choice-title">{props.title}</span>
        <span class="choice-sub">{props.sub}</span>
      </span>
    </label>
  );
}

/** Asks once more, saying in large type whether this is a drill or a real alarm. */
function ManualConfirm(props: { body: ManualBody; siteName: string; busy: boolean; onOk: () => void; onCancel: () => void }): JSX.Element {
  const drill = props.body.drill;
  return (
    <Dialog title={t('confirmTitle')} onClose={props.onCancel} testid="confirm-dialog">
      <p class={`confirm-kind confirm-kind-${drill ? 'drill' : 'real'}`} data-testid="confirm-kind" data-kind={drill ? 'drill' : 'real'}>
        {t(drill ? 'manualIsDrill' : 'manualIsReal')}
      </p>
      <p class="confirm-what">
        {tk(`level_${props.body.level}`)} · {props.siteName}
      </p>
      <p>{t(drill ? 'manualDrillDetail' : 'manualRealDetail')}</p>
      <div class="actions">
        <button type="button" class="btn" onClick={props.onCancel} data-testid="confirm-cancel">
          {t('manualBack')}
        </button>
        <button type="button" class={`btn ${drill ? 'btn-drill' : 'btn-danger'}`} onClick={props.onOk} disabled={props.busy} data-testid="confirm-ok">
          {t(drill ? 'manualStartDrill' : 'manualRaiseReal')}
        </button>
      </div>
    </Dialog>
  );
}

/** A manual alarm or drill: 演练 or 真实警报 first, then the level, neither chosen beforehand; then the confirmation. */
export function ManualAlarm(props: { onClose: () => void }): JSX.Element {
  const s = useStore();
  const [kind, setKind] = useState<ManualKind | undefined>(undefined);
  const [level, setLevel] = useState<AlarmLevel | undefined>(undefined);
  const [siteId, setSiteId] = useState('');
  const [message, setMessage] = useState('');
  const [by, setBy] = useState('');
  const [confirming, setConfirming] = useState(false);
  const act = useFormAction();
  const ids = { kind: useId('m-kind'), level: useId('m-level'), site: useId('m-site'), msg: useId('m-msg'), missing: useId('m-missing') };
  const sites = s.sites !== null && s.sites !== undefined ? s.sites : [];
  const body = manualBody({ kind, level, siteId, message, by });
  const site = sites.filter((x) => x.id === siteId)[0];

  const send = async (): Promise<void> => {
    if (body === undefined) return;
    const ok = await act.run(async () => {
      await post<AlarmChange, ManualBody>('/alarms', body);
      await refreshAlarms();
      props.onClose();
    });
    // Back to the form, where the daemon's refusal shows.
    if (!ok) setConfirming(false);
  };

  if (confirming && body !== undefined) {
    return <ManualConfirm body={body} siteName={site !== undefined ? site.name : siteId !== '' ? siteId : t('manualAllSites')} busy={act.busy} onOk={() => void send()} onCancel={() => setConfirming(false)} />;
  }
  return (
    <Dialog title={t('manualTitle')} onClose={props.onClose} testid="manual-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (body === undefined) return act.refuse(t('manualChooseFirst'));
          act.clear();
          setConfirming(true);
        }}
        data-testid="manual-form"
      >
        <fieldset class="choices" data-testid="manual-kind">
          <legend>{t('manualKindLegend')}</legend>
          <Choice name={ids.kind} kind="drill" checked={kind === 'drill'} onPick={() => setKind('drill')} title={t('manualKindDrill')} sub={t('manualKindDrillSub')} testid="manual-kind-drill" />
          <Choice name={ids.kind} kind="real" checked={kind === 'real'} onPick={() => setKind('real')} title={t('manualKindReal')} sub={t('manualKindRealSub')} testid="manual-kind-real" />
        </fieldset>
        <fieldset class="choices" data-testid="manual-level">
          <legend>{t('manualLevelLegend')}</legend>
          <Choice name={ids.level} kind="prepare" checked={level === 'prepare'} onPick={() => setLevel('prepare')} title={t('level_prepare')} sub={t('manualLevelPrepareSub')} testid="manual-level-prepare" />
          <Choice name={ids.level} kind="evacuate" checked={level === 'evacuate'} onPick={() => setLevel('evacuate')} title={t('level_evacuate')} sub={t('manualLevelEvacuateSub')} testid="manual-level-evacuate" />
        </fieldset>
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
        <OnBehalfField value={by} onInput={setBy} testid="manual-by" />
        <FormOutcome action={act} />
        {body === undefined && (
          <p id={ids.missing} class="hint" data-testid="manual-missing">
            {t('manualChooseFirst')}
          </p>
        )}
        <DialogActions onCancel={props.onClose}>
          <button
            type="submit"
            class={`btn ${kind === 'drill' ? 'btn-drill' : 'btn-danger'}`}
            disabled={body === undefined}
            aria-describedby={body === undefined ? ids.missing : undefined}
            data-testid="manual-submit"
          >
            {t(kind === 'drill' ? 'manualNextDrill' : kind === 'real' ? 'manualNextReal' : 'manualAlarm')}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
