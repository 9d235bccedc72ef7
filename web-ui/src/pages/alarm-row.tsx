import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, type Alarm, type AlarmTransition, type AlarmWithHistory } from '../api.js';
import { actorText, causeLine, displayTitle, levelSteps, triggerOf, type CauseContext, type CauseLine } from '../alarm-text.js';
import { ErrorBox, LevelChip, useId } from '../components/ui.js';
import { formatTime, formatWhen } from '../format.js';
import { t, tk } from '../i18n.js';
import { ackedStateKey, ackSilences, ackText } from '../night-alarm.js';
import { noteAlarm, state, useStore } from '../store.js';
import { AlarmActionDialog, type AlarmAction } from './alarm-dialogs.js';
import { AlarmPictures } from './camera-pictures.js';
import { smsLines, smsUnsettled } from '../sms-view.js';

const CLEARABLE = ['manual', 'county'];

/** Names and thresholds for cause lines, from what the store has (sites, then /health for sensors in no site). */
function causeContext(): CauseContext {
  const names: Record<string, string> = {};
  const sites = state.sites !== null && state.sites !== undefined ? state.sites : [];
  if (state.health !== undefined) for (const x of state.health.sensors) if (x.name !== undefined && x.name !== '') names[x.id] = x.name;
  for (const site of sites) for (const x of site.sensors) if (x.name !== undefined && x.name !== '') names[x.id] = x.name;
  return {
    sensorName: (id) => (names[id] !== undefined ? names[id]! : id),
    thresholds: (siteId) => {
      const site = sites.filter((x) => x.id === siteId)[0];
      return site !== undefined ? site.thresholds : undefined;
    },
  };
}

/** A transition's cause in the UI's language (never a rule id or a UTC time); undefined when it has none. */
function causeText(tr: AlarmTransition, siteId: string | undefined): CauseLine | undefined {
  return causeLine(tr, siteId, causeContext());
}

/** The cause in words, and the daemon's own text small and muted beneath it when the cause is not known to the UI. */
function Cause(props: { line: CauseLine; testid: string }): JSX.Element {
  return (
    <>
      <span data-testid={props.testid}>{props.line.text}</span>
      {props.line.raw !== undefined && (
        <span class="cause-raw" lang="en" title={t('causeRawLabel')} data-testid={`${props.testid}-raw`}>
          {props.line.raw}
        </span>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Each row needs its alarm's transitions (GET /alarms/:id): fetched once per change (`updatedAt`), kept for the
// session, a few at a time so a page of 50 history rows does not flood the box; the row and its history share it.

const details = new Map<number, AlarmWithHistory>();
const inFlight = new Map<number, Promise<AlarmWithHistory>>();
const MAX_PARALLEL = 3;
let running = 0;
const waiting: (() => void)[] = [];

function slot<T>(work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const go = (): void => {
      running++;
      work().then(resolve, reject).then(() => {
        running--;
        const next = waiting.shift();
        if (next !== undefined) next();
      });
    };
    if (running < MAX_PARALLEL) go();
    else waiting.push(go);
  });
}

function loadDetail(id: number): Promise<AlarmWithHistory> {
  const pending = inFlight.get(id);
  if (pending !== undefined) return pending;
  const p = slot(() => get<AlarmWithHistory>(`/alarms/${id}`)).then(
    (a) => {
      inFlight.delete(id);
      const had = details.get(id);
      // Never step back to an older copy (a slow answer after a newer one).
      if (had === undefined || had.updatedAt <= a.updatedAt) details.set(id, a);
      noteAlarm(a);
      return a;
    },
    (err: unknown) => {
      inFlight.delete(id);
      throw err;
    },
  );
  inFlight.set(id, p);
  return p;
}

/** An open history asks again this often while an SMS of the alarm is queued or awaits its delivery report. */
const SMS_RECHECK_MS = 5_000;

/**
 * The alarm with its transitions, refetched when the alarm changes; the last copy while a newer one loads. With
 * `watchSms` (the history is open), also refetched while its SMS may still change state (no event says so).
 */
function useAlarmDetail(a: Alarm, watchSms: boolean): { detail: AlarmWithHistory | undefined; error: unknown } {
  const [, setVersion] = useState(0);
  const [error, setError] = useState<unknown>(undefined);
  const cached = details.get(a.id);
  const fresh = cached !== undefined && cached.updatedAt >= a.updatedAt;
  const recheck = watchSms && cached !== undefined && smsUnsettled(cached, Date.now());
  useEffect(() => {
    if (!recheck) return undefined;
    let cancelled = false;
    const timer = window.setTimeout(() => {
      loadDetail(a.id).then(
        () => !cancelled && setVersion((v) => v + 1),
        () => undefined,
      );
    }, SMS_RECHECK_MS);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [recheck, cached]);
  useEffect(() => {
    if (fresh) return undefined;
    let cancelled = false;
    loadDetail(a.id).then(
      () => {
        if (cancelled) return;
        setError(undefined);
        setVersion((v) => v + 1);
      },
      (err: unknown) => {
        if (!cancelled) setError(err);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [a.id, a.updatedAt]);
  return { detail: cached, error };
}

function History(props: { alarm: AlarmWithHistory | undefined; error: unknown; siteId: string | undefined }): JSX.Element {
  const { alarm, error } = props;
  if (alarm === undefined && error !== undefined) return <ErrorBox error={error} />;
  if (alarm === undefined) return <p class="loading">{t('loading')}</p>;
  // 操作人 {name}, the name part marked for the account and on whose behalf.
  const [byBefore, byAfter] = t('by', { name: '\u0000' }).split('\u0000');
  return (
    <ol class="transitions" data-testid="transition-list">
      {alarm.transitions.map((tr) => {
        const who = actorText(tr);
        const cause = causeText(tr, props.siteId);
        return (
          <li key={tr.id} data-testid="transition">
            <time>{formatTime(tr.ts)}</time> <strong>{tk(`tr_${tr.type}`)}</strong> {tr.level !== null && <LevelChip level={tr.level} />}
            {who !== undefined && (
              <span>
                {' '}
                · {byBefore}
                <span data-testid="transition-actor">{who}</span>
                {byAfter}
              </span>
            )}
            {tr.note !== undefined && tr.note !== '' && (
              <span>
                {' '}
                · {t('note')}
                {t('colon')}
                {tr.note}
              </span>
            )}
            {cause !== undefined && (
              <div class="cause">
                {t('cause')}
                {t('colon')}
                <Cause line={cause} testid="transition-cause" />
              </div>
            )}
            <SmsOfTransition alarm={alarm} transitionId={tr.id} />
          </li>
        );
      })}
    </ol>
  );
}

/** 短信 张村长 已送达 · 李主任 失败: who was sent an SMS about this transition, and how it went (number, text, error on hover). */
function SmsOfTransition(props: { alarm: AlarmWithHistory; transitionId: number }): JSX.Element | null {
  const lines = smsLines(props.alarm, props.transitionId);
  if (lines.length === 0) return null;
  return (
    <div class="sms" data-testid="transition-sms">
      {t('sms')}
      {t('colon')}
      {lines.map((l, i) => (
        <span key={l.id} class={`sms-${l.tone}`} title={l.title} data-testid="sms-delivery">
          {i > 0 && ' · '}
          {l.who} {l.state}
        </span>
      ))}
    </div>
  );
}

/** Only faults are shelved (a flood alarm is acknowledged instead); the daemon refuses the rest. */
export function canShelve(a: Alarm): boolean {
  return (a.kind === 'fault' || a.kind === 'output_fault') && a.state !== 'cleared';
}

export function isShelved(a: Alarm, now: number): boolean {
  return a.shelvedUntil !== undefined && a.shelvedUntil > now;
}

export function AlarmRow(props: { alarm: Alarm; operate: boolean; userName: string }): JSX.Element {
  const a = props.alarm;
  const [open, setOpen] = useState(false);
  const [dialog, setDialog] = useState<AlarmAction | undefined>(undefined);
  const shelvedNow = isShelved(a, Date.now());
  const historyId = useId('alarm-history');
  // Names and thresholds come from the store: re-render when it changes (sites may arrive after the alarms).
  useStore();
  const { detail, error } = useAlarmDetail(a, open);
  const now = Date.now();
  const steps = levelSteps(a, detail !== undefined ? detail.transitions : undefined, now);
  const trigger = detail !== undefined ? triggerOf(detail.transitions) : undefined;
  const cause = trigger !== undefined ? causeText(trigger, a.siteId) : undefined;
  // Who raised it by hand (a manual alarm, the alarm button): 「人工发出 · 操作人 op1（代表 县长）」.
  const raisedBy = trigger !== undefined ? actorText(trigger) : undefined;
  const ackBy = actorText({ account: a.acknowledgedByAccount, by: a.acknowledgedBy });
  // 已停止鸣响 only when this level's plan silences on acknowledging (GET /outputs).
  const silences = ackSilences(state.outputs, a.level);
  return (
    <li class={`alarm-row state-${a.state} ${a.level !== null ? `lvl-row-${a.level}` : 'lvl-row-fault'}`} data-testid="alarm-row" data-alarm-id={a.id} data-state={a.state}>
      <div class="alarm-main">
        <div class="alarm-title">
          {a.drill && <span class="chip chip-drill">{t('drill')}</span>} <strong data-testid="alarm-title">{displayTitle(a)}</strong>
        </div>
        <div class="alarm-meta">
          {a.level !== null && <LevelChip level={a.level} />} <span class="chip">{tk(`kind_${a.kind}`)}</span> <span class={`chip st-${a.state}`} data-testid="alarm-state">{a.state === 'acknowledged' ? t(ackedStateKey(silences)) : tk(`alarmState_${a.state}`)}</span>{' '}
          {shelvedNow && (
            <span class="chip st-shelved" data-testid="alarm-shelved">
              {t('shelvedUntil', { time: formatTime(a.shelvedUntil, 'time') })}
            </span>
          )}
          {a.acknowledgedAt !== undefined && (
            <span data-testid="alarm-acked">
              {' '}
              · {t(silences === true ? 'ackDone' : 'ackedSeen')} {ackBy !== undefined ? `${t('by', { name: ackBy })} ` : ''}
              {formatWhen(a.acknowledgedAt, now)}
              {a.ackNote !== undefined && a.ackNote !== '' ? ` · ${a.ackNote}` : ''}
            </span>
          )}
        </div>
        {/* 「08:42 准备转移 · 09:10 升级为立即转移 · 坝前水位 12.34 米 超过立即转移水位 12.00 米」, local time, the UI's language. */}
        <div class="alarm-summary">
          <span data-testid="alarm-summary">{steps.join(t('stepSep'))}</span>
          {cause !== undefined && (
            <>
              {t('stepSep')}
              <Cause line={cause} testid="alarm-cause" />
            </>
          )}
          {raisedBy !== undefined && `${t('stepSep')}${t('by', { name: raisedBy })}`}
        </div>
      </div>
      <div class="alarm-actions">
        <button type="button" class="btn" aria-expanded={open} aria-controls={historyId} onClick={() => setOpen(!open)} data-testid="history-toggle">
          {open ? t('hideHistory') : t('showHistory')}
        </button>
        {props.operate && a.state === 'active' && (
          <button type="button" class="btn btn-primary" onClick={() => setDialog('ack')} data-testid="ack-button">
            {t(ackText(a.level, silences).submit)}
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
      <div id={historyId}>
        {open && <History alarm={detail} error={error} siteId={a.siteId} />}
        {open && a.siteId !== undefined && <AlarmPictures alarmId={a.id} updatedAt={a.updatedAt} {...(detail !== undefined ? { transitions: detail.transitions } : {})} />}
      </div>
      {dialog !== undefined && <AlarmActionDialog alarm={a} mode={dialog} onClose={() => setDialog(undefined)} />}
    </li>
  );
}
