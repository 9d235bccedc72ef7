import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { canOperate, isAdmin, post, type Alarm, type Outputs } from '../api.js';
import { alarmForKey, displayTitle } from '../alarm-text.js';
import { FormOutcome, useFormAction } from '../components/form.js';
import { Card, Notice, useId } from '../components/ui.js';
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

function SpeakForm(props: { outputs: Outputs | null | undefined }): JSX.Element {
  const [text, setText] = useState('');
  const [speakers, setSpeakers] = useState<string[]>([]);
  const act = useFormAction();
  const id = useId('speak');
  const ids = props.outputs !== null && props.outputs !== undefined ? props.outputs.speakers.map((s) => s.id) : [];
  const submit = (e: Event): void => {
    e.preventDefault();
    void act.run(async () => {
      await post('/broadcast/speak', { text: text.trim(), ...(speakers.length > 0 ? { speakers } : {}) });
      void refreshOutputs();
    });
  };
  return (
    <Card title={t('broadcastSpeak')} testid="speak-card">
      <form onSubmit={submit} data-testid="speak-form">
        <label for={id}>{t('speakLabel')}</label>
        <textarea id={id} rows={3} required maxLength={2000} placeholder={t('speakPlaceholder')} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="speak-input" />
        <Pick legend={t('speakersLabel')} ids={ids} chosen={speakers} onChange={setSpeakers} testid="speaker-pick" />
        <FormOutcome action={act} done={{ text: t('speakSent'), testid: 'speak-done' }} />
        <button type="submit" class="btn btn-primary btn-block" disabled={act.busy || text.trim() === ''} data-testid="speak-send">
          {t('speakSend')}
        </button>
      </form>
    </Card>
  );
}

function LedForm(props: { outputs: Outputs | null | undefined }): JSX.Element {
  const [text, setText] = useState('');
  const [minutes, setMinutes] = useState('10');
  const [boards, setBoards] = useState<string[]>([]);
  const act = useFormAction();
  const ids = { text: useId('led'), min: useId('led-min') };
  const boardIds = props.outputs !== null && props.outputs !== undefined ? props.outputs.ledBoards.map((b) => b.id) : [];
  const submit = (e: Event): void => {
    e.preventDefault();
    const m = Number(minutes);
    void act.run(async () => {
      await post('/broadcast/led', { text: text.trim(), ...(boards.length > 0 ? { boards } : {}), ...(minutes !== '' && isFinite(m) && m > 0 ? { minutes: m } : {}) });
      void refreshOutputs();
    });
  };
  return (
    <Card title={t('ledTitle')} testid="led-card">
      <form onSubmit={submit} data-testid="led-form">
        <label for={ids.text}>{t('ledLabel')}</label>
        <input id={ids.text} required maxLength={200} placeholder={t('ledPlaceholder')} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="led-text-input" />
        <label for={ids.min}>{t('ledMinutes')}</label>
        <input id={ids.min} type="number" min={1} max={1440} inputMode="numeric" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} data-testid="led-minutes" />
        <Pick legend={t('boardsLabel')} ids={boardIds} chosen={boards} onChange={setBoards} testid="board-pick" />
        <FormOutcome action={act} done={{ text: t('ledSent'), testid: 'led-done' }} />
        <button type="submit" class="btn btn-primary btn-block" disabled={act.busy || text.trim() === ''} data-testid="led-send">
          {t('ledSend')}
        </button>
      </form>
    </Card>
  );
}

/** What a loudspeaker plays, by the alarm's title (its key is an internal); a drill with its chip. */
function PlayingAlarm(props: { alarm: Alarm | undefined }): JSX.Element {
  const a = props.alarm;
  return (
    <span data-testid="speaker-alarm">
      {' '}
      {a !== undefined && a.drill && <span class="chip chip-drill">{t('drill')}</span>} {a !== undefined ? t('alarmPlaying', { title: displayTitle(a) }) : t('alarmPlayingUnknown')}
    </span>
  );
}

/** Speakers and LED boards as /outputs reports them. Also used on the devices page. */
export function OutputsState(props: { outputs: Outputs | null | undefined }): JSX.Element {
  const st = useStore();
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
                {s.alarmKey !== null && <PlayingAlarm alarm={alarmForKey(st.activeAlarms, s.alarmKey)} />}
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
