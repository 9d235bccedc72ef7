import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { canOperate, get, isAdmin, post, type Alarm, type StationView, type LedAccepted, type LedBody, type Outputs, type SpeakAccepted, type SpeakBody, type SpeakerSnapshot } from '../api.js';
import { alarmForKey, displayTitle } from '../alarm-text.js';
import { BUILTIN_PRESETS, broadcastError, checkPresets, LED_MAX, loadPresets, MAX_PRESETS, playingOf, PRESET_TITLE_MAX, savePresets, scheduledOnAirText, SPEAK_MAX, type Preset } from '../broadcast-text.js';
import { DialogActions, useFormAction, type FormAction } from '../components/form.js';
import { Card, Dialog, Notice, useId } from '../components/ui.js';
import { formatTime } from '../format.js';
import { t, tk } from '../i18n.js';
import { refreshOutputs, useStore } from '../store.js';

function toggle(list: readonly string[], id: string, on: boolean): string[] {
  const rest = list.filter((x) => x !== id);
  return on ? rest.concat([id]) : rest;
}

function Pick(props: { legend: string; ids: readonly string[]; chosen: readonly string[]; onChange: (next: string[]) => void; testid: string }): JSX.Element | null {
  const base = useId(props.testid);
  if (props.ids.length === 0) return null;
  return (
    <fieldset class="pick">
      <legend>{props.legend}</legend>
      {props.ids.map((id, i) => (
        <div class="check" key={id}>
          <input id={`${base}-${i}`} type="checkbox" checked={props.chosen.indexOf(id) >= 0} onChange={(e) => props.onChange(toggle(props.chosen, id, e.currentTarget.checked))} data-testid={`${props.testid}-${id}`} />
          <label for={`${base}-${i}`}>{id}</label>
        </div>
      ))}
    </fieldset>
  );
}

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** A sent text as the done notice quotes it: the start of it, so the operator sees what went out. */
function excerpt(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * How a broadcast form's last send ended: the daemon's refusal in the UI's words (its own text only for refusals not
 * known here, small and muted beneath), or the done notice quoting what was sent.
 */
function Outcome(props: { action: FormAction; target: 'speak' | 'led'; done: { readonly text: string; readonly testid: string } }): JSX.Element {
  const { action, done } = props;
  const err = action.error !== undefined && action.error !== null ? broadcastError(action.error, props.target) : undefined;
  return (
    <>
      {err !== undefined && (
        <div class="notice notice-error" role="alert" data-testid="error-box">
          <div data-testid="error-text">{err.text}</div>
          {err.raw !== undefined && (
            <div class="raw-error" lang="en" data-testid="error-raw">
              {err.raw}
            </div>
          )}
        </div>
      )}
      {action.done && (
        <Notice kind="ok" testid={done.testid}>
          {done.text}
        </Notice>
      )}
    </>
  );
}

/** The preset list, edited as a draft: rename, rewrite, delete, add, back to the built-in ones; kept in this browser. */
function PresetDialog(props: { presets: readonly Preset[]; onSaved: (list: Preset[]) => void; onClose: () => void }): JSX.Element {
  const [draft, setDraft] = useState<Preset[]>(props.presets.length > 0 ? props.presets.slice() : [{ title: '', text: '' }]);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const base = useId('preset');
  const change = (i: number, patch: Partial<Preset>): void => setDraft(draft.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  const save = (e: Event): void => {
    e.preventDefault();
    const checked = checkPresets(draft);
    if (!checked.ok) return setProblem(checked.problem);
    if (!savePresets(storage(), checked.presets)) {
      // Still used until the page reloads; the operator is told it is not kept.
      setProblem(t('presetSaveFailed'));
      props.onSaved(checked.presets);
      return;
    }
    props.onSaved(checked.presets);
    props.onClose();
  };
  return (
    <Dialog title={t('presetDialogTitle')} onClose={props.onClose} testid="preset-dialog">
      <form onSubmit={save}>
        <p class="hint">{t('presetStoredHint')}</p>
        {draft.length === 0 && <p class="empty">{t('presetNone')}</p>}
        <ol class="preset-list">
          {draft.map((p, i) => (
            <li key={i} class="preset-row" data-testid="preset-row">
              <label for={`${base}-t${i}`}>
                {t('presetTitle')} {i + 1}
              </label>
              <input id={`${base}-t${i}`} maxLength={PRESET_TITLE_MAX} value={p.title} onInput={(e) => change(i, { title: e.currentTarget.value })} data-testid="preset-title" />
              <label for={`${base}-x${i}`}>{t('presetText')}</label>
              <textarea id={`${base}-x${i}`} rows={3} maxLength={SPEAK_MAX} value={p.text} onInput={(e) => change(i, { text: e.currentTarget.value })} data-testid="preset-text" />
              <button type="button" class="btn" onClick={() => setDraft(draft.filter((_p, j) => j !== i))} data-testid="preset-delete">
                {t('presetDelete')}
              </button>
            </li>
          ))}
        </ol>
        <div class="toolbar">
          <button type="button" class="btn" disabled={draft.length >= MAX_PRESETS} onClick={() => setDraft(draft.concat([{ title: '', text: '' }]))} data-testid="preset-add">
            {t('presetAdd')}
          </button>
          <button type="button" class="btn" onClick={() => setDraft(BUILTIN_PRESETS.slice())} data-testid="preset-reset">
            {t('presetReset')}
          </button>
        </div>
        {problem !== undefined && (
          <div class="notice notice-error" role="alert">
            {problem}
          </div>
        )}
        <DialogActions onCancel={props.onClose}>
          <button type="submit" class="btn btn-primary" data-testid="preset-save">
            {t('save')}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function SpeakForm(props: { outputs: Outputs | null | undefined }): JSX.Element {
  const [text, setText] = useState('');
  const [speakers, setSpeakers] = useState<string[]>([]);
  const [presets, setPresets] = useState<Preset[]>(() => loadPresets(storage()));
  const [picked, setPicked] = useState('');
  const [editing, setEditing] = useState(false);
  const [sent, setSent] = useState('');
  const act = useFormAction();
  const id = useId('speak');
  const presetId = useId('preset-pick');
  const countId = useId('speak-count');
  const ids = props.outputs !== null && props.outputs !== undefined ? props.outputs.speakers.map((s) => s.id) : [];
  const submit = (e: Event): void => {
    e.preventDefault();
    const message = text.trim();
    if (message === '' || act.busy) return;
    void act.run(async () => {
      await post<SpeakAccepted, SpeakBody>('/broadcast/speak', { text: message, ...(speakers.length > 0 ? { speakers } : {}) });
      // Sent: the box empties (and 立即播报 with it), so the same message is not sent twice by accident.
      setSent(message);
      setText('');
      setPicked('');
      void refreshOutputs();
    });
  };
  const pick = (value: string): void => {
    setPicked(value);
    const p = value === '' ? undefined : presets[Number(value)];
    if (p !== undefined) setText(p.text);
    act.clear();
  };
  return (
    <Card title={t('broadcastSpeak')} testid="speak-card">
      <form onSubmit={submit} data-testid="speak-form">
        <label for={presetId}>{t('presetLabel')}</label>
        <div class="preset-pick">
          <select id={presetId} value={picked} onChange={(e) => pick(e.currentTarget.value)} data-testid="preset-select">
            <option value="">{t('presetPick')}</option>
            {presets.map((p, i) => (
              <option key={`${i}-${p.title}`} value={String(i)}>
                {p.title}
              </option>
            ))}
          </select>
          <button type="button" class="btn" onClick={() => setEditing(true)} data-testid="preset-manage">
            {t('presetManage')}
          </button>
        </div>
        <label for={id}>{t('speakLabel')}</label>
        <textarea
          id={id}
          rows={4}
          required
          maxLength={SPEAK_MAX}
          placeholder={t('speakPlaceholder')}
          value={text}
          aria-describedby={countId}
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (act.done) act.clear();
          }}
          data-testid="speak-input"
        />
        <div id={countId} class="hint char-count" data-testid="speak-count">
          {t('charCount', { n: text.length, max: SPEAK_MAX })}
        </div>
        <Pick legend={t('speakersLabel')} ids={ids} chosen={speakers} onChange={setSpeakers} testid="speaker-pick" />
        <Outcome action={act} target="speak" done={{ text: t('speakSentText', { text: excerpt(sent) }), testid: 'speak-done' }} />
        <button type="submit" class="btn btn-primary btn-block" disabled={act.busy || text.trim() === ''} data-testid="speak-send">
          {t('speakSend')}
        </button>
      </form>
      {editing && (
        <PresetDialog
          presets={presets}
          onSaved={(list) => {
            setPresets(list);
            setPicked('');
          }}
          onClose={() => setEditing(false)}
        />
      )}
    </Card>
  );
}

function LedForm(props: { outputs: Outputs | null | undefined }): JSX.Element {
  const [text, setText] = useState('');
  const [minutes, setMinutes] = useState('10');
  const [boards, setBoards] = useState<string[]>([]);
  const [sent, setSent] = useState('');
  const act = useFormAction();
  const ids = { text: useId('led'), min: useId('led-min'), count: useId('led-count') };
  const boardIds = props.outputs !== null && props.outputs !== undefined ? props.outputs.ledBoards.map((b) => b.id) : [];
  const submit = (e: Event): void => {
    e.preventDefault();
    const message = text.trim();
    if (message === '' || act.busy) return;
    const m = Number(minutes);
    void act.run(async () => {
      await post<LedAccepted, LedBody>('/broadcast/led', { text: message, ...(boards.length > 0 ? { boards } : {}), ...(minutes !== '' && isFinite(m) && m > 0 ? { minutes: m } : {}) });
      setSent(message);
      setText('');
      void refreshOutputs();
    });
  };
  return (
    <Card title={t('ledTitle')} testid="led-card">
      <form onSubmit={submit} data-testid="led-form">
        <label for={ids.text}>{t('ledLabel')}</label>
        <input
          id={ids.text}
          required
          maxLength={LED_MAX}
          placeholder={t('ledPlaceholder')}
          value={text}
          aria-describedby={ids.count}
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (act.done) act.clear();
          }}
          data-testid="led-text-input"
        />
        <div id={ids.count} class="hint char-count" data-testid="led-count">
          {t('charCount', { n: text.length, max: LED_MAX })}
        </div>
        <label for={ids.min}>{t('ledMinutes')}</label>
        <input id={ids.min} type="number" min={1} max={1440} inputMode="numeric" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} data-testid="led-minutes" />
        <Pick legend={t('boardsLabel')} ids={boardIds} chosen={boards} onChange={setBoards} testid="board-pick" />
        <Outcome action={act} target="led" done={{ text: t('ledSentText', { text: excerpt(sent) }), testid: 'led-done' }} />
        <button type="submit" class="btn btn-primary btn-block" disabled={act.busy || text.trim() === ''} data-testid="led-send">
          {t('ledSend')}
        </button>
      </form>
    </Card>
  );
}

/** What a loudspeaker plays: an operator's 通知广播, a 解除通知, or the alarm by its title (its key is an internal). */
function PlayingAlarm(props: { speaker: SpeakerSnapshot; alarms: readonly Alarm[] }): JSX.Element | null {
  const p = playingOf(props.speaker);
  if (p === undefined) return null;
  if (p.kind === 'announcement') return <span data-testid="speaker-alarm"> {t('playingAnnouncement')}</span>;
  const a = alarmForKey(props.alarms, p.alarmKey);
  if (p.kind === 'allClear') {
    return (
      <span data-testid="speaker-alarm">
        {' '}
        {t('playingAllClear')}
        {a !== undefined ? `${t('colon')}${displayTitle(a)}` : ''}
      </span>
    );
  }
  return (
    <span data-testid="speaker-alarm">
      {' '}
      {a !== undefined && a.drill && <span class="chip chip-drill">{t('drill')}</span>} {a !== undefined ? t('alarmPlaying', { title: displayTitle(a) }) : t('alarmPlayingUnknown')}
    </span>
  );
}

/**
 * GET /station while a loudspeaker plays something /outputs cannot name (a scheduled programme speaks for no alarm),
 * asked again at each change of the outputs (the live `output` events refresh them). Null: no station (404) or not
 * readable; the row then just says 播放中.
 */
function useStation(outputs: Outputs | null | undefined): StationView | null {
  const [station, setStation] = useState<StationView | null>(null);
  const unnamed = outputs !== null && outputs !== undefined && outputs.speakers.some((s) => s.state === 'playing' && s.alarmKey === null);
  useEffect(() => {
    if (!unnamed) {
      setStation(null);
      return;
    }
    let live = true;
    get<StationView>('/station').then(
      (v) => {
        if (live) setStation(v);
      },
      () => {
        if (live) setStation(null);
      },
    );
    return () => {
      live = false;
    };
  }, [outputs, unnamed]);
  return station;
}

/** 正在播放：<title>（定时节目）, for a speaker whose station says a scheduled programme is on the air. */
function ScheduledProgramme(props: { text: string | undefined }): JSX.Element | null {
  if (props.text === undefined) return null;
  return <span data-testid="speaker-programme"> {props.text}</span>;
}

/** Speakers and LED boards as /outputs reports them. Also used on the devices page. */
export function OutputsState(props: { outputs: Outputs | null | undefined }): JSX.Element {
  const st = useStore();
  const station = useStation(props.outputs);
  // Devices and alarm keys are internals: only an admin sees them, in the muted detail line.
  const admin = st.auth !== undefined && isAdmin(st.auth);
  const o = props.outputs;
  if (o === undefined) return <p class="loading">{t('loading')}</p>;
  if (o === null || (o.speakers.length === 0 && o.ledBoards.length === 0 && o.relays.length === 0 && o.ioBoard === null)) return <Notice>{t('noOutputs')}</Notice>;
  return (
    <>
      {o.speakers.length > 0 && (
        <Card title={t('speakers_title')} testid="speakers-state">
          <ul class="rows">
            {o.speakers.map((s) => (
              <li key={s.id} data-testid="speaker-row">
                <strong>{s.id}</strong> <span class={`chip sp-${s.state}`}>{tk(`speakerState_${s.state}`)}</span>
                <PlayingAlarm speaker={s} alarms={st.activeAlarms} />
                <ScheduledProgramme text={s.state === 'playing' && s.alarmKey === null ? scheduledOnAirText(station, s.id) : undefined} />
                {(admin || s.at !== null) && (
                  <div class="sub" data-testid="speaker-detail">
                    {[admin ? s.device : '', admin && s.alarmKey !== null ? s.alarmKey : '', s.at !== null ? formatTime(s.at, 'short') : ''].filter((x) => x !== '').join(' · ')}
                  </div>
                )}
                {s.lastError !== null && (
                  <div class="err">
                    {t('lastError')}
                    {t('colon')}
                    {s.lastError}
                  </div>
                )}
              </li>
            ))}
          </ul>
        </Card>
      )}
      {o.ledBoards.length > 0 && (
        <Card title={t('boards_title')} testid="boards-state">
          <ul class="rows">
            {o.ledBoards.map((b) => (
              <li key={b.id} data-testid="board-row">
                <strong>{b.id}</strong> <span class={`chip ${b.acknowledged ? 'q-good' : 'q-suspect'}`}>{b.acknowledged ? t('ledAcked') : t('ledNotAcked')}</span>
                <div class="led-text" data-testid="board-text">
                  {b.text !== null && b.text !== '' ? b.text : t('ledBlank')}
                </div>
                {b.at !== null && <div class="sub">{formatTime(b.at, 'short')}</div>}
                {b.lastError !== null && (
                  <div class="err">
                    {t('lastError')}
                    {t('colon')}
                    {b.lastError}
                  </div>
                )}
              </li>
            ))}
          </ul>
        </Card>
      )}
    </>
  );
}

export function BroadcastPage(): JSX.Element {
  const s = useStore();
  const operate = s.auth !== undefined && canOperate(s.auth);
  return (
    <div data-testid="broadcast-page">
      {operate && (
        <div class="two-col">
          <SpeakForm outputs={s.outputs} />
          <LedForm outputs={s.outputs} />
        </div>
      )}
      <OutputsState outputs={s.outputs} />
    </div>
  );
}
