/**
 * What the 广播 page says: its preset messages, what a loudspeaker is playing, and the daemon's refusals in the UI's
 * language. Pure (no DOM; the storage is passed in): unit-tested in broadcast-text.test.ts.
 *
 * Presets are kept in the browser (localStorage), not on the box: the daemon's settings (alarm thresholds, dispatch
 * plans) are admin-only, validated against the YAML config schema and audited, and an operator must be able to keep
 * their own texts without an admin. Presets only fill the text box; nothing is sent without the operator pressing
 * 立即播报, so a preset lost with a browser's data costs nothing but retyping, and the built-in ones always come back.
 */
import { ApiError, type StationView } from './api.js';
import { t } from './i18n.js';

export interface Preset {
  readonly title: string;
  readonly text: string;
}

/** The daemon's limits (POST /broadcast/speak `text` ≤ 500, /broadcast/led `text` ≤ 200). */
export const SPEAK_MAX = 500;
export const LED_MAX = 200;
export const MAX_PRESETS = 30;
export const PRESET_TITLE_MAX = 40;
export const PRESETS_KEY = 'fenghuo.broadcastPresets';

/** Built in: always there on a new device, and what 恢复默认 brings back. The operator edits them before sending. */
export const BUILTIN_PRESETS: readonly Preset[] = [
  {
    title: '防汛值班通知',
    text: '各位村民请注意：现在进入汛期防汛值班，请大家关注天气和河道水位变化，雨天不要在河边、沟边逗留。发现险情请立即报告村委会。',
  },
  {
    title: '转移演练通知',
    text: '各位村民请注意：今天（时间）将进行山洪转移演练，届时喇叭和警报器会响起，请按平时确定的路线到安置点集合。这是演练，请不要惊慌。',
  },
  {
    title: '解除通知',
    text: '各位村民请注意：本次山洪预警已经解除。已转移的群众请听从村干部安排有序返回，回家前先检查房屋是否安全。',
  },
];

type Storage = { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };

/** The presets this browser keeps; the built-in ones when it keeps none (or what it keeps is unreadable). */
export function loadPresets(storage: Storage | undefined): Preset[] {
  if (storage === undefined) return BUILTIN_PRESETS.slice();
  let raw: string | null = null;
  try {
    raw = storage.getItem(PRESETS_KEY);
  } catch {
    return BUILTIN_PRESETS.slice();
  }
  if (raw === null) return BUILTIN_PRESETS.slice();
  try {
    const list: unknown = JSON.parse(raw);
    if (!Array.isArray(list)) return BUILTIN_PRESETS.slice();
    const out: Preset[] = [];
    for (const item of list) {
      if (typeof item !== 'object' || item === null) continue;
      const { title, text } = item as { title?: unknown; text?: unknown };
      if (typeof title === 'string' && typeof text === 'string' && title.trim() !== '' && text.trim() !== '') out.push({ title, text });
    }
    return out.slice(0, MAX_PRESETS);
  } catch {
    return BUILTIN_PRESETS.slice();
  }
}

/** A list as edited, checked: trimmed, blank rows dropped; the first problem in words, or the list to keep. */
export function checkPresets(list: readonly Preset[]): { ok: true; presets: Preset[] } | { ok: false; problem: string } {
  const out: Preset[] = [];
  for (let i = 0; i < list.length; i++) {
    const title = list[i]!.title.trim();
    const text = list[i]!.text.trim();
    if (title === '' && text === '') continue;
    if (title === '' || text === '') return { ok: false, problem: t('presetIncomplete', { n: i + 1 }) };
    if (text.length > SPEAK_MAX || title.length > PRESET_TITLE_MAX) return { ok: false, problem: t('presetTooLong', { n: i + 1, max: text.length > SPEAK_MAX ? SPEAK_MAX : PRESET_TITLE_MAX }) };
    out.push({ title, text });
  }
  return { ok: true, presets: out.slice(0, MAX_PRESETS) };
}

/** Keeps the list in this browser; false when the browser refuses (private mode, full). */
export function savePresets(storage: Storage | undefined, list: readonly Preset[]): boolean {
  if (storage === undefined) return false;
  try {
    storage.setItem(PRESETS_KEY, JSON.stringify(list));
    return true;
  } catch {
    return false;
  }
}

/** Forgets the browser's list: the built-in presets again. */
export function resetPresets(storage: Storage | undefined): Preset[] {
  try {
    if (storage !== undefined) storage.removeItem(PRESETS_KEY);
  } catch {
    // nothing kept to forget
  }
  return BUILTIN_PRESETS.slice();
}

/** What a loudspeaker plays, from /outputs: an operator's 通知广播, the 解除通知 of a cleared alarm, or an alarm. */
export type Playing = { readonly kind: 'announcement' } | { readonly kind: 'allClear'; readonly alarmKey: string } | { readonly kind: 'alarm'; readonly alarmKey: string };

/**
 * The daemon names an operator's announcement `announce:<ts>-<n>`; an all-clear plays under the cleared alarm's key
 * with no level; an alarm plays with its level.
 */
export function playingOf(speaker: { readonly alarmKey: string | null; readonly level: string | null }): Playing | undefined {
  const key = speaker.alarmKey;
  if (key === null) return undefined;
  if (key.indexOf('announce:') === 0) return { kind: 'announcement' };
  if (speaker.level === null) return { kind: 'allClear', alarmKey: key };
  return { kind: 'alarm', alarmKey: key };
}

/**
 * The scheduled programme (station.programmes) a loudspeaker has on the air, from GET /station: its title (the
 * programme's own, else the schedule's, else its id), or undefined when the speaker plays anything else or nothing.
 * /outputs says only that the speaker is playing (a programme speaks for no alarm): the station says what.
 */
export function scheduledOnAir(station: StationView | null | undefined, speakerId: string): { readonly id: string; readonly title: string } | undefined {
  if (station === null || station === undefined) return undefined;
  const speaker = station.speakers.filter((s) => s.id === speakerId)[0];
  const on = speaker !== undefined ? speaker.playing : null;
  if (on === null || on.kind !== 'scheduled') return undefined;
  const id = on.key.indexOf('scheduled:') === 0 ? on.key.slice('scheduled:'.length) : on.key;
  const programme = station.programmes.filter((p) => p.id === id)[0];
  const title = on.title !== null && on.title !== '' ? on.title : programme !== undefined && programme.title !== '' ? programme.title : id;
  return { id, title };
}

/** What the speaker row says for it: 正在播放：<title>（定时节目）. */
export function scheduledOnAirText(station: StationView | null | undefined, speakerId: string): string | undefined {
  const on = scheduledOnAir(station, speakerId);
  return on === undefined ? undefined : t('playingScheduled', { title: on.title });
}

/** A refusal as the operator reads it: the UI's own words; the daemon's text only for what is not known here. */
export interface BroadcastError {
  readonly text: string;
  readonly raw?: string;
}

/**
 * The daemon's error for POST /broadcast/speak or /broadcast/led in the UI's language. Known refusals (empty or
 * too long text, an output this box does not have, none configured, minutes out of range, dispatch not running,
 * network, session, role) are said in full; anything else says 播报失败 with the status and keeps the daemon's text.
 */
export function broadcastError(err: unknown, target: 'speak' | 'led'): BroadcastError {
  const failed = (status: number | string, raw?: string): BroadcastError => {
    const text = t(target === 'speak' ? 'bcErrSpeakFailed' : 'bcErrLedFailed', { status });
    return raw !== undefined && raw !== '' ? { text, raw } : { text };
  };
  if (!(err instanceof ApiError)) return failed('—', err instanceof Error ? err.message : String(err));
  if (err.status === 0) return { text: t('bcErrNetwork') };
  if (err.status === 401 || (err.status === 403 && err.code === 'csrf')) return { text: t('sessionExpired') };
  if (err.status === 403) return { text: t('forbidden') };
  const msg = err.message;
  const param = err.problems.length > 0 ? err.problems[0]!.path : '';
  const max = target === 'speak' ? SPEAK_MAX : LED_MAX;
  if (param === 'text' || /^text\b/.test(msg)) {
    if (/empty|required|too small|>=\s*1/i.test(msg)) return { text: t('bcErrEmpty') };
    const limit = /<=\s*(\d+)|at most (\d+)/i.exec(msg);
    if (/too big|too long|at most|<=/i.test(msg)) return { text: t('bcErrTooLong', { max: limit !== null ? (limit[1] !== undefined ? limit[1] : limit[2]!) : max }) };
  }
  const unknownOutput = /^"(.+)" is not a (speaker|LED board) of this box/.exec(msg);
  if (unknownOutput !== null || /^(speakers|boards)\[\d+\]$/.test(param)) {
    const id = unknownOutput !== null ? unknownOutput[1]! : '';
    const board = unknownOutput !== null ? unknownOutput[2] === 'LED board' : param.indexOf('boards') === 0;
    return { text: t(board ? 'bcErrNoSuchBoard' : 'bcErrNoSuchSpeaker', { id }) };
  }
  if (/no (speaker|LED board)s configured/.test(msg)) return { text: t(/LED board/.test(msg) ? 'bcErrNoBoards' : 'bcErrNoSpeakers') };
  if (/^name at least one/.test(msg)) return { text: t('bcErrPickOne') };
  if (param === 'minutes' || /^minutes\b/.test(msg)) return { text: t('bcErrMinutes') };
  if (/not running/.test(msg)) return { text: t('bcErrNotRunning') };
  return failed(err.status, msg);
}
