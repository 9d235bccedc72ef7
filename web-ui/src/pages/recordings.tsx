import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  canOperate,
  del,
  get,
  post,
  put,
  type PinBody,
  type Recording,
  type RecordingChannel,
  type RecordingEvent,
  type RecordingList,
  type RecordingSegmentList,
  type RecordingSchedule,
  type ScheduleAdded,
  type ScheduleConflict,
  type ScheduleDeleted,
  type ScheduleEntry,
  type ScheduleEntryBody,
  type ScheduledJob,
} from '../api.js';
import { DialogActions, FormOutcome, useFormAction } from '../components/form.js';
import { Card, Dialog, ErrorBox, Notice, useId } from '../components/ui.js';
import { bytes, formatDuration, formatTime, formatWhen, timeZone } from '../format.js';
import { t, tk } from '../i18n.js';
import { applyRecordingEvent, copyNote, done, entryBody, gapSeconds, inProgress, offersSegments, WEEKDAY_KEYS, zonedToday, type WeekdayKey } from '../recording-view.js';
import { useStore } from '../store.js';
import '../media-pages.css';

/** Asks before an action that cannot be undone; shows the daemon's refusal in the dialog. */
function ConfirmAction(props: { title: string; text: string; okLabel: string; onOk: () => Promise<void>; onClose: () => void }): JSX.Element {
  const act = useFormAction();
  return (
    <Dialog title={props.title} onClose={props.onClose} testid="confirm-dialog">
      <p class="confirm-text">{props.text}</p>
      <FormOutcome action={act} />
      <DialogActions onCancel={props.onClose} cancelTestid="confirm-cancel">
        <button
          type="button"
          class="btn btn-danger"
          disabled={act.busy}
          onClick={() =>
            void act.run(props.onOk).then((ok) => {
              if (ok) props.onClose();
            })
          }
          data-testid="confirm-ok"
        >
          {props.okLabel}
        </button>
      </DialogActions>
    </Dialog>
  );
}

type Ask = { readonly title: string; readonly text: string; readonly okLabel: string; readonly onOk: () => Promise<void> };

const range = (from: number, to: number, now: number): string => `${formatWhen(from, now)}–${formatWhen(to, now)}`;

function weeklyWhen(e: Pick<ScheduleEntry, 'days' | 'start' | 'end'>): string {
  const days = (e.days || []).map((d) => tk(`weekday_${d}`)).join(t('rec_daySep'));
  return t('rec_weeklyWhen', { days, start: e.start || '', end: e.end || '' });
}

function GuideState(props: { schedule: RecordingSchedule }): JSX.Element {
  const g = props.schedule.guide;
  const err = g.error;
  return (
    <div class="rec-guide" data-testid="guide-state" data-state={g.configured ? g.state : 'none'}>
      <strong>{t('rec_guide')}</strong>
      {t('colon')}
      {!g.configured ? (
        t('rec_guideNone')
      ) : g.state === 'ok' ? (
        t('rec_guideOk', { n: g.programmes !== undefined ? g.programmes : 0, time: formatWhen(g.loadedAt, props.schedule.now) })
      ) : g.state === 'none' && err === undefined ? (
        t('rec_guideNotYet')
      ) : null}
      {g.source !== undefined && <div class="sub">{g.source}</div>}
      {err !== undefined && (
        <div class="notice notice-error" role="alert" data-testid="guide-error">
          {t('rec_guideError')}
          {err.line !== undefined && (
            <strong data-testid="guide-error-line" data-line={err.line}>
              {err.column !== undefined ? t('rec_guideErrorLineCol', { line: err.line, col: err.column }) : t('rec_guideErrorLine', { line: err.line })}
              {t('colon')}
            </strong>
          )}
          <span class="raw-error" lang="en">
            {err.message}
          </span>
          <div class="sub">{formatTime(err.at, 'short')}</div>
        </div>
      )}
    </div>
  );
}

function ConflictRow(props: { c: ScheduleConflict; now: number; testid?: string }): JSX.Element {
  const { c } = props;
  return (
    <li class="notice notice-warn" data-testid={props.testid !== undefined ? props.testid : 'conflict-row'} data-dropped={c.dropped.title} data-kept={c.kept.title}>
      {t('rec_conflict', {
        dropped: c.dropped.title,
        droppedChannel: c.dropped.channelName,
        kept: c.kept.title,
        keptChannel: c.kept.channelName,
        source: c.sourceKey,
        from: formatWhen(c.from, props.now),
        to: formatWhen(c.to, props.now),
      })}
    </li>
  );
}

function JobRow(props: { job: ScheduledJob; now: number; operate: boolean; ask: (a: Ask) => void; changed: () => void }): JSX.Element {
  const { job } = props;
  const when = range(job.startAt, job.endAt, props.now);
  return (
    <li class="rec-row" data-testid="job-row" data-job-id={job.id} data-state={job.state}>
      <div class="rec-row-main">
        <strong data-testid="job-title">{job.title}</strong> <span class="chip">{tk(`rec_origin_${job.origin}`)}</span>{' '}
        <span class={`chip ${job.state === 'recording' ? 'st-active' : job.state === 'waiting_for_clock' ? 'q-suspect' : ''}`}>{tk(`rec_jobState_${job.state}`)}</span>
        <div class="sub">
          {when} · {job.channelName}
        </div>
      </div>
      {props.operate && (
        <button
          type="button"
          class="btn"
          onClick={() =>
            props.ask({
              title: t('rec_cancelConfirmTitle'),
              text: t('rec_cancelJobConfirm', { title: job.title, when }),
              okLabel: t('rec_cancelJob'),
              onOk: async () => {
                await del<ScheduleDeleted>(`/recordings/schedule/${encodeURIComponent(job.id)}`);
                props.changed();
              },
            })
          }
          data-testid="job-cancel"
        >
          {t('rec_cancelJob')}
        </button>
      )}
    </li>
  );
}

function EntryRow(props: { e: ScheduleEntry; now: number; channels: readonly RecordingChannel[]; operate: boolean; ask: (a: Ask) => void; changed: () => void }): JSX.Element {
  const { e } = props;
  const ch = props.channels.filter((c) => c.id === e.channelId)[0];
  const when = e.kind === 'weekly' ? weeklyWhen(e) : e.startAt !== undefined && e.endAt !== undefined ? range(e.startAt, e.endAt, props.now) : '';
  return (
    <li class="rec-row" data-testid="entry-row" data-entry-id={e.id} data-kind={e.kind}>
      <div class="rec-row-main">
        <strong>{e.title}</strong> <span class="chip">{tk(`rec_origin_${e.kind === 'once' ? 'manual' : e.kind}`)}</span>
        {e.fromConfig && <span class="chip"> {t('rec_fromConfig')}</span>}
        <div class="sub">
          {when} · {ch !== undefined ? ch.name : e.channelId}
          {e.account !== undefined ? ` · ${e.account}` : ''}
        </div>
      </div>
      {props.operate && !e.fromConfig && (
        <button
          type="button"
          class="btn"
          onClick={() =>
            props.ask({
              title: t('rec_deleteEntry'),
              text: t('rec_deleteEntryConfirm', { title: e.title }),
              okLabel: t('rec_deleteEntry'),
              onOk: async () => {
                await del<ScheduleDeleted>(`/recordings/schedule/${encodeURIComponent(e.id)}`);
                props.changed();
              },
            })
          }
          data-testid="entry-delete"
        >
          {t('rec_deleteEntry')}
        </button>
      )}
    </li>
  );
}

function ScheduleCard(props: { schedule: RecordingSchedule | undefined; error: unknown; channels: readonly RecordingChannel[]; operate: boolean; ask: (a: Ask) => void; changed: () => void }): JSX.Element {
  const s = props.schedule;
  return (
    <Card title={t('rec_scheduleTitle')} testid="schedule-card">
      <ErrorBox error={props.error} />
      {s === undefined ? (
        props.error === undefined && <p class="loading">{t('loading')}</p>
      ) : (
        <>
          {!s.clock.trusted && (
            <Notice kind="warn" testid="clock-untrusted">
              {t('rec_clockUntrusted')}
            </Notice>
          )}
          <GuideState schedule={s} />
          {s.conflicts.length > 0 && (
            <>
              <h3 class="sub-title">{t('rec_conflicts')}</h3>
              <ul class="rec-list" data-testid="conflict-list">
                {s.conflicts.map((c) => (
                  <ConflictRow key={c.id} c={c} now={s.now} />
                ))}
              </ul>
            </>
          )}
          <h3 class="sub-title">{t('rec_jobs')}</h3>
          {s.jobs.length === 0 ? (
            <p class="empty">{t('rec_noJobs')}</p>
          ) : (
            <ul class="rec-list" data-testid="job-list">
              {s.jobs.map((j) => (
                <JobRow key={j.id} job={j} now={s.now} operate={props.operate} ask={props.ask} changed={props.changed} />
              ))}
            </ul>
          )}
          <h3 class="sub-title">{t('rec_entries')}</h3>
          {s.entries.length === 0 ? (
            <p class="empty">{t('rec_noEntries')}</p>
          ) : (
            <ul class="rec-list" data-testid="entry-list">
              {s.entries.map((e) => (
                <EntryRow key={e.id} e={e} now={s.now} channels={props.channels} operate={props.operate} ask={props.ask} changed={props.changed} />
              ))}
            </ul>
          )}
        </>
      )}
    </Card>
  );
}

/**
 * The conflicts an entry just added takes part in (the POST answer's `conflicts`): said under the form at once, so
 * the operator who added it sees that it (or another recording) will not be recorded, not only a green 已添加.
 */
function AddedConflicts(props: { conflicts: readonly ScheduleConflict[]; testid: string }): JSX.Element | null {
  if (props.conflicts.length === 0) return null;
  const now = Date.now();
  return (
    <ul class="rec-list" data-testid={props.testid}>
      {props.conflicts.map((c) => (
        <ConflictRow key={c.id} c={c} now={now} testid={`${props.testid}-row`} />
      ))}
    </ul>
  );
}

function ChannelSelect(props: { id: string; channels: readonly RecordingChannel[]; value: string; onChange: (v: string) => void; testid: string }): JSX.Element {
  return (
    <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} data-testid={props.testid}>
      {props.channels.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </select>
  );
}

function AddEntryForm(props: { channels: readonly RecordingChannel[]; changed: () => void }): JSX.Element {
  const zone = timeZone();
  const first = props.channels[0];
  const [kind, setKind] = useState<'once' | 'weekly'>('once');
  const [channel, setChannel] = useState(first !== undefined ? first.id : '');
  const [title, setTitle] = useState('');
  const [date, setDate] = useState(() => zonedToday(zone, Date.now()));
  const [start, setStart] = useState('09:00');
  const [end, setEnd] = useState('11:00');
  const [days, setDays] = useState<WeekdayKey[]>([]);
  const [added, setAdded] = useState('');
  const [conflicts, setConflicts] = useState<readonly ScheduleConflict[]>([]);
  const act = useFormAction();
  const ids = { kind: useId('entry-kind'), channel: useId('entry-channel'), title: useId('entry-title'), date: useId('entry-date'), start: useId('entry-start'), end: useId('entry-end'), days: useId('entry-day') };
  const submit = (e: Event): void => {
    e.preventDefault();
    if (act.busy) return;
    const checked = entryBody({ kind, channel, title, date, start, end, days }, zone);
    setConflicts([]);
    if (!checked.ok) return act.refuse(tk(`rec_problem_${checked.problem}`));
    void act.run(async () => {
      const answer = await post<ScheduleAdded, ScheduleEntryBody>('/recordings/schedule', checked.body);
      setAdded(answer.entry.title);
      setConflicts(answer.conflicts);
      setTitle('');
      props.changed();
    });
  };
  return (
    <Card title={t('rec_addTitle')} testid="add-entry-card">
      <form onSubmit={submit} data-testid="add-entry-form">
        <fieldset class="pick">
          <legend>{t('rec_kind')}</legend>
          {(['once', 'weekly'] as const).map((k) => (
            <div class="check" key={k}>
              <input id={`${ids.kind}-${k}`} type="radio" name={ids.kind} checked={kind === k} onChange={() => setKind(k)} data-testid={`entry-kind-${k}`} />
              <label for={`${ids.kind}-${k}`}>{k === 'once' ? t('rec_kindOnce') : t('rec_kindWeekly')}</label>
            </div>
          ))}
        </fieldset>
        <label for={ids.channel}>{t('rec_channel')}</label>
        <ChannelSelect id={ids.channel} channels={props.channels} value={channel} onChange={setChannel} testid="entry-channel" />
        <label for={ids.title}>{t('rec_entryTitle')}</label>
        <input id={ids.title} maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="entry-title" />
        {kind === 'once' ? (
          <>
            <label for={ids.date}>{t('rec_date')}</label>
            <input id={ids.date} type="date" value={date} onInput={(e) => setDate(e.currentTarget.value)} data-testid="entry-date" />
          </>
        ) : (
          <fieldset class="pick rec-days">
            <legend>{t('rec_days')}</legend>
            {WEEKDAY_KEYS.map((d) => (
              <div class="check" key={d}>
                <input
                  id={`${ids.days}-${d}`}
                  type="checkbox"
                  checked={days.indexOf(d) >= 0}
                  onChange={(e) => setDays(e.currentTarget.checked ? days.filter((x) => x !== d).concat([d]) : days.filter((x) => x !== d))}
                  data-testid={`entry-day-${d}`}
                />
                <label for={`${ids.days}-${d}`}>{tk(`weekday_${d}`)}</label>
              </div>
            ))}
          </fieldset>
        )}
        <div class="field-row">
          <div class="field">
            <label for={ids.start}>{t('rec_start')}</label>
            <input id={ids.start} type="time" value={start} onInput={(e) => setStart(e.currentTarget.value)} data-testid="entry-start" />
          </div>
          <div class="field">
            <label for={ids.end}>{t('rec_end')}</label>
            <input id={ids.end} type="time" value={end} onInput={(e) => setEnd(e.currentTarget.value)} data-testid="entry-end" />
          </div>
        </div>
        <p class="hint">{t('rec_timeHint', { zone })}</p>
        <FormOutcome action={act} done={{ text: t('rec_added', { title: added }), testid: 'entry-done' }} />
        {act.done && <AddedConflicts conflicts={conflicts} testid="entry-conflict" />}
        <button type="submit" class="btn btn-primary btn-block" disabled={act.busy || props.channels.length === 0} data-testid="entry-submit">
          {t('rec_add')}
        </button>
      </form>
    </Card>
  );
}

function RecordNowForm(props: { channels: readonly RecordingChannel[]; changed: () => void }): JSX.Element {
  const first = props.channels[0];
  const [channel, setChannel] = useState(first !== undefined ? first.id : '');
  const [minutes, setMinutes] = useState('30');
  const [title, setTitle] = useState('');
  const [started, setStarted] = useState('');
  const [conflicts, setConflicts] = useState<readonly ScheduleConflict[]>([]);
  const act = useFormAction();
  const ids = { channel: useId('now-channel'), minutes: useId('now-minutes'), title: useId('now-title') };
  const submit = (e: Event): void => {
    e.preventDefault();
    if (act.busy) return;
    const m = minutes.trim() === '' ? NaN : Number(minutes);
    setConflicts([]);
    if (channel === '') return act.refuse(t('rec_problem_channel'));
    if (!(m >= 1 && m <= 1440 && Math.floor(m) === m)) return act.refuse(t('rec_problem_minutes'));
    const name = title.trim();
    void act.run(async () => {
      const answer = await post<ScheduleAdded, ScheduleEntryBody>('/recordings/schedule', { kind: 'now', channel, minutes: m, ...(name !== '' ? { title: name } : {}) });
      setStarted(answer.entry.title);
      setConflicts(answer.conflicts);
      setTitle('');
      props.changed();
    });
  };
  return (
    <Card title={t('rec_nowTitle')} testid="record-now-card">
      {/* noValidate: the page's own check says what is wrong in the UI's language (the browser's bubble for min/max
          stopped the submit before it, in words that differ from browser to browser). */}
      <form onSubmit={submit} noValidate data-testid="record-now-form">
        <label for={ids.channel}>{t('rec_channel')}</label>
        <ChannelSelect id={ids.channel} channels={props.channels} value={channel} onChange={setChannel} testid="now-channel" />
        <label for={ids.minutes}>{t('rec_minutes')}</label>
        <input id={ids.minutes} type="number" min={1} max={1440} inputMode="numeric" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} data-testid="now-minutes" />
        <label for={ids.title}>{t('rec_nowName')}</label>
        <input id={ids.title} maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="now-title" />
        <FormOutcome action={act} done={{ text: t('rec_nowDone', { title: started }), testid: 'now-done' }} />
        {act.done && <AddedConflicts conflicts={conflicts} testid="now-conflict" />}
        <button type="submit" class="btn btn-primary btn-block" disabled={act.busy || props.channels.length === 0} data-testid="now-submit">
          {t('rec_nowSubmit')}
        </button>
      </form>
    </Card>
  );
}

function Gaps(props: { r: Recording; now: number }): JSX.Element {
  const { r } = props;
  if (r.gaps.length === 0) return <span data-testid="recording-gaps" data-gaps="0">{t('rec_noGaps')}</span>;
  return (
    <div data-testid="recording-gaps" data-gaps={r.gaps.length}>
      {t('rec_gaps', { n: r.gaps.length, s: Math.round(gapSeconds(r)) })}
      <ul class="rec-gaps">
        {r.gaps.map((g, i) => (
          <li key={i} data-testid="gap-row" data-reason={g.reason}>
            {formatTime(g.from, 'seconds')}–{formatTime(g.to, 'seconds')} {tk(`rec_gapReason_${g.reason}`)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function LiveRow(props: { r: Recording; now: number; operate: boolean; ask: (a: Ask) => void }): JSX.Element {
  const { r } = props;
  const live = r.live;
  return (
    <li class="rec-row" data-testid="live-row" data-recording-id={r.id} data-state={r.state}>
      <div class="rec-row-main">
        <strong data-testid="recording-title">{r.title}</strong> <span class="chip st-active">{tk(`rec_state_${r.state}`)}</span>
        <div class="sub">
          {range(r.plannedStart, r.plannedEnd, props.now)} · {r.channelName !== null ? r.channelName : `${r.channelId} ${t('rec_channelGone')}`}
        </div>
        <dl class="rec-live">
          <div>
            <dt>{t('rec_bitrate')}</dt>
            <dd data-testid="live-bitrate">{live !== null && live.bitrateKbit !== null ? t('rec_kbit', { v: Math.round(live.bitrateKbit) }) : '—'}</dd>
          </div>
          <div>
            <dt>{t('rec_recorded')}</dt>
            <dd data-testid="live-bytes" data-bytes={r.bytes}>
              {bytes(r.bytes)}
            </dd>
          </div>
          <div>
            <dt>{t('rec_segments')}</dt>
            <dd data-testid="live-segments">{r.segments}</dd>
          </div>
        </dl>
        <Gaps r={r} now={props.now} />
      </div>
      {props.operate && r.state === 'recording' && (
        <button
          type="button"
          class="btn"
          onClick={() =>
            props.ask({
              title: t('rec_stopConfirmTitle'),
              text: t('rec_stopConfirm', { title: r.title }),
              okLabel: t('rec_stop'),
              onOk: async () => {
                await post<Recording>(`/recordings/${encodeURIComponent(r.id)}/stop`);
              },
            })
          }
          data-testid="stop-button"
        >
          {t('rec_stop')}
        </button>
      )}
    </li>
  );
}

/**
 * The original MPEG-TS segments of a recording without a browser copy, to download and play elsewhere (VLC): listed
 * when asked for (one folder listing per recording opened, not per page load), each a link with its size.
 */
function SegmentDownloads(props: { r: Recording }): JSX.Element {
  const [open, setOpen] = useState(false);
  const [list, setList] = useState<RecordingSegmentList | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const toggle = (): void => {
    const next = !open;
    setOpen(next);
    if (!next) return;
    setError(undefined);
    get<RecordingSegmentList>(`/recordings/${encodeURIComponent(props.r.id)}/segments`).then(setList, (err: unknown) => setError(err));
  };
  return (
    <div data-testid="recording-segments">
      <button type="button" class="btn" aria-expanded={open} onClick={toggle} data-testid="segments-toggle">
        {open ? t('rec_segmentsHide') : t('rec_segmentsDownload')}
      </button>
      {open && (
        <>
          <ErrorBox error={error} />
          {list === undefined ? (
            error === undefined && <p class="loading">{t('loading')}</p>
          ) : list.segments.length === 0 ? (
            <p class="empty" data-testid="segments-none">
              {t('rec_segmentsNone')}
            </p>
          ) : (
            <>
              <div class="sub" data-testid="segments-summary">
                {t('rec_segmentsSummary', { n: list.segments.length, size: bytes(list.totalBytes) })}
              </div>
              <ul class="rec-gaps" data-testid="segment-list">
                {list.segments.map((seg) => (
                  <li key={seg.name} data-testid="segment-row" data-name={seg.name}>
                    <a href={seg.url} download data-testid="segment-link">
                      {seg.name}
                    </a>{' '}
                    {bytes(seg.bytes)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </div>
  );
}

function DoneRow(props: { r: Recording; now: number; operate: boolean; ask: (a: Ask) => void; onChange: (r: Recording) => void }): JSX.Element {
  const { r } = props;
  const [playing, setPlaying] = useState(false);
  const act = useFormAction();
  const note = copyNote(r);
  const pin = (pinned: boolean): void => {
    void act.run(async () => props.onChange(await put<Recording, PinBody>(`/recordings/${encodeURIComponent(r.id)}/pin`, { pinned })));
  };
  return (
    <li class="rec-row rec-done" data-testid="recording-row" data-recording-id={r.id} data-state={r.state}>
      <div class="rec-row-main">
        <strong data-testid="recording-title">{r.title}</strong> <span class={`chip ${r.state === 'failed' ? 'st-active' : 'st-cleared'}`}>{tk(`rec_state_${r.state}`)}</span>
        {r.pinned && (
          <span class="chip q-good" data-testid="recording-pinned">
            {' '}
            {t('rec_pinned')}
          </span>
        )}
        <div class="sub">
          {range(r.actualStart !== null ? r.actualStart : r.plannedStart, r.actualEnd !== null ? r.actualEnd : r.plannedEnd, props.now)} ·{' '}
          {r.channelName !== null ? r.channelName : `${r.channelId} ${t('rec_channelGone')}`}
        </div>
        <div class="sub">
          {r.durationS !== null && `${t('rec_duration', { d: formatDuration(r.durationS) })} · `}
          {t('rec_size', { size: bytes(r.mediaBytes !== null ? r.mediaBytes : r.bytes) })}
          {r.damagedPackets > 0 && ` · ${t('rec_damaged', { n: r.damagedPackets })}`}
        </div>
        <Gaps r={r} now={props.now} />
        {note.kind === 'unplayable' && (
          <div class="err" data-testid="recording-unplayable" data-codec={note.codec}>
            {t('rec_unplayableVideo', { codec: note.codec })}
          </div>
        )}
        {note.kind === 'error' && <div class="err">{t('rec_error', { msg: note.message })}</div>}
        {offersSegments(r) && <SegmentDownloads r={r} />}
        {playing && r.media !== null && (
          <video class="rec-video" controls preload="metadata" src={r.media} data-testid="recording-video" />
        )}
        <ErrorBox error={act.error} />
      </div>
      <div class="rec-actions">
        {r.media !== null ? (
          <button type="button" class="btn btn-primary" aria-expanded={playing} onClick={() => setPlaying(!playing)} data-testid="recording-play">
            {playing ? t('rec_hide') : t('rec_play')}
          </button>
        ) : (
          r.state === 'finished' && <span class="sub">{note.kind === 'unplayable' ? t('rec_noBrowserCopy') : t('rec_notPlayable')}</span>
        )}
        {props.operate && (
          <>
            <button type="button" class="btn" title={t('rec_pinHint')} aria-pressed={r.pinned} disabled={act.busy} onClick={() => pin(!r.pinned)} data-testid="recording-pin">
              {r.pinned ? t('rec_unpin') : t('rec_pin')}
            </button>
            <button
              type="button"
              class="btn btn-danger"
              onClick={() =>
                props.ask({
                  title: t('rec_deleteConfirmTitle'),
                  text: t('rec_deleteConfirm', { title: r.title }),
                  okLabel: t('rec_delete'),
                  onOk: async () => {
                    await del<undefined>(`/recordings/${encodeURIComponent(r.id)}`);
                  },
                })
              }
              data-testid="recording-delete"
            >
              {t('rec_delete')}
            </button>
          </>
        )}
      </div>
    </li>
  );
}

/**
 * The recordings' own live stream: `recording` events (state, progress, gaps, deletion) while the page is open. The
 * shell's stream carries the rest; a second EventSource for one page keeps the shared store out of it.
 */
function useRecordingEvents(onEvent: (ev: RecordingEvent) => void, onOpen: () => void): void {
  useEffect(() => {
    const es = new EventSource('/api/v1/events');
    es.addEventListener('recording', (e) => {
      try {
        onEvent(JSON.parse((e as MessageEvent<string>).data) as RecordingEvent);
      } catch {
        // not JSON: ignored, the next refresh has it
      }
    });
    es.addEventListener('hello', onOpen);
    return () => es.close();
  }, []);
}

const SCHEDULE_REFRESH_MS = 30_000;

export function RecordingsPage(): JSX.Element {
  const s = useStore();
  const operate = s.auth !== undefined && canOperate(s.auth);
  const [list, setList] = useState<RecordingList | undefined>(undefined);
  const [listError, setListError] = useState<unknown>(undefined);
  const [schedule, setSchedule] = useState<RecordingSchedule | undefined>(undefined);
  const [scheduleError, setScheduleError] = useState<unknown>(undefined);
  const [asking, setAsking] = useState<Ask | undefined>(undefined);
  const [now, setNow] = useState(Date.now());

  const loadList = (): void => {
    get<RecordingList>('/recordings').then(
      (l) => {
        setList(l);
        setListError(undefined);
      },
      (err: unknown) => setListError(err),
    );
  };
  const loadSchedule = (): void => {
    get<RecordingSchedule>('/recordings/schedule').then(
      (v) => {
        setSchedule(v);
        setScheduleError(undefined);
      },
      (err: unknown) => setScheduleError(err),
    );
  };
  const reload = (): void => {
    loadList();
    loadSchedule();
  };
  useEffect(() => {
    reload();
    const timer = window.setInterval(() => {
      setNow(Date.now());
      loadSchedule();
    }, SCHEDULE_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, []);
  useRecordingEvents((ev) => {
    setList((l) => (l === undefined ? l : { channels: l.channels, recordings: applyRecordingEvent(l.recordings, ev) }));
    // A job started or ended: the schedule's states changed too.
    if (ev.type === 'state' || ev.type === 'deleted') loadSchedule();
  }, reload);

  const channels = list !== undefined ? list.channels : [];
  const recordings = list !== undefined ? list.recordings : [];
  const live = inProgress(recordings);
  const finished = done(recordings);
  const replace = (r: Recording): void => setList((l) => (l === undefined ? l : { channels: l.channels, recordings: applyRecordingEvent(l.recordings, { type: 'state', recording: r }) }));

  return (
    <div data-testid="recordings-page">
      {list !== undefined && channels.length === 0 && <Notice testid="no-channels">{t('rec_noChannels')}</Notice>}
      <Card title={t('rec_inProgress')} testid="in-progress">
        <ErrorBox error={listError} />
        {list === undefined && listError === undefined && <p class="loading">{t('loading')}</p>}
        {list !== undefined && live.length === 0 && <p class="empty">{t('rec_noneInProgress')}</p>}
        {live.length > 0 && (
          <ul class="rec-list">
            {live.map((r) => (
              <LiveRow key={r.id} r={r} now={now} operate={operate} ask={setAsking} />
            ))}
          </ul>
        )}
      </Card>
      <Card title={t('rec_finished')} testid="finished-list">
        {list !== undefined && finished.length === 0 && <p class="empty">{t('rec_noneFinished')}</p>}
        {finished.length > 0 && (
          <ul class="rec-list">
            {finished.map((r) => (
              <DoneRow key={r.id} r={r} now={now} operate={operate} ask={setAsking} onChange={replace} />
            ))}
          </ul>
        )}
      </Card>
      <ScheduleCard schedule={schedule} error={scheduleError} channels={channels} operate={operate} ask={setAsking} changed={loadSchedule} />
      {operate && channels.length > 0 && (
        <div class="two-col">
          <RecordNowForm channels={channels} changed={reload} />
          <AddEntryForm channels={channels} changed={loadSchedule} />
        </div>
      )}
      {asking !== undefined && (
        <ConfirmAction
          title={asking.title}
          text={asking.text}
          okLabel={asking.okLabel}
          onOk={async () => {
            await asking.onOk();
            reload();
          }}
          onClose={() => setAsking(undefined)}
        />
      )}
    </div>
  );
}
