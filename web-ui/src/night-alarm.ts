/**
 * The operator at night (issue 10 items 6 and 7), the pure parts: unit-tested in night-alarm.test.ts.
 */
import { displayTitle } from './alarm-text.js';
import type { AckBody, ClearBody, ManualAlarmBody, ShelveBody } from './api.js';
import type { MsgKey } from './i18n.js';

export interface StripAlarm {
  readonly level: 'prepare' | 'evacuate' | null;
  readonly state: 'active' | 'acknowledged' | 'cleared';
  readonly drill: boolean;
  readonly title: string;
  readonly raisedAt: number;
}

/** What the red 立即转移 strip says; undefined when no 立即转移 alarm is open. */
export interface EvacuateStrip {
  /** Only drills are open: the strip is marked 演练. */
  readonly drill: boolean;
  /** Every alarm it names is acknowledged; whether that stopped the sound is the plan's (see `stripStateKey`). */
  readonly acknowledged: boolean;
  /** The named alarms' titles, oldest first (a drill's leading 【演练】 dropped: the chip says it). */
  readonly titles: readonly string[];
  /** Real alarms are named and drills are open too. */
  readonly drillsToo: boolean;
}

/**
 * While any 立即转移 alarm is open, acknowledged or not, the strip stays. Real alarms are named before (and instead
 * of) drills; with only drills open it is a drill strip.
 */
export function evacuateStrip(alarms: readonly StripAlarm[]): EvacuateStrip | undefined {
  const open = alarms.filter((a) => a.level === 'evacuate' && a.state !== 'cleared');
  if (open.length === 0) return undefined;
  const real = open.filter((a) => !a.drill);
  const shown = (real.length > 0 ? real : open).slice().sort((a, b) => a.raisedAt - b.raisedAt);
  return {
    drill: real.length === 0,
    acknowledged: shown.every((a) => a.state === 'acknowledged'),
    titles: shown.map(displayTitle),
    drillsToo: real.length > 0 && real.length < open.length,
  };
}

/**
 * What an alarm row's dialog posts: `by` is free text "on behalf of", sent only when someone is named (the daemon
 * records the signed-in account itself); `minutes` only when shelving.
 */
export type ActionBody = AckBody | ClearBody | ShelveBody;

export function actionBody(form: { by: string; note: string; minutes?: number }): ActionBody {
  const body: ShelveBody = {};
  if (form.by.trim() !== '') body.by = form.by.trim();
  if (form.minutes !== undefined) body.minutes = form.minutes;
  if (form.note.trim() !== '') body.note = form.note.trim();
  return body;
}

export type ManualKind = 'drill' | 'real';

/** `POST /alarms` as the manual-alarm dialog sends it (no title: the daemon makes one from the site and level). */
export type ManualBody = Omit<ManualAlarmBody, 'title'>;

/** The manual alarm to post; undefined until drill-or-real and the level are both chosen (neither has a default). */
export function manualBody(form: { kind: ManualKind | undefined; level: 'prepare' | 'evacuate' | undefined; siteId: string; message: string; by: string }): ManualBody | undefined {
  if (form.kind === undefined || form.level === undefined) return undefined;
  const body: ManualBody = { level: form.level, drill: form.kind === 'drill' };
  if (form.siteId !== '') body.siteId = form.siteId;
  if (form.message.trim() !== '') body.message = form.message.trim();
  if (form.by.trim() !== '') body.by = form.by.trim();
  return body;
}

type Level = 'prepare' | 'evacuate';

/**
 * Whether acknowledging an alarm of `level` stops its siren and spoken warning: the dispatch plan's `silenceOnAck`
 * as `GET /outputs` reports it (every role may read it; /settings is admin-only). Undefined while the outputs are not
 * loaded: the UI then says neither "stops" nor "continues". A fault (level null) only ever beeped on the screens.
 */
export function ackSilences(outputs: { readonly silenceOnAck: Readonly<Record<Level, boolean>> } | null | undefined, level: Level | null): boolean | undefined {
  if (level === null) return true;
  return outputs === null || outputs === undefined ? undefined : outputs.silenceOnAck[level];
}

/**
 * What acknowledging does, as [head, text] message keys, said in its dialog before it is done (`silences` from
 * `ackSilences`). When the plan silences (停止鸣响): a level alarm's siren, spoken warning and the screens' beep stop.
 * When it does not (已知晓): it is recorded as seen and the siren and spoken warning go on until it clears. Either way
 * its LED text and strobe stay until it clears, and it stays open; a fault only ever beeped on the screens.
 */
export function stopEffects(level: Level | null, silences: boolean | undefined): [MsgKey, MsgKey][] {
  if (level === null) {
    return [
      ['stopSirenStopsHead', 'stopSirenFaultStops'],
      ['stopSirenOpenHead', 'stopSirenFaultOpen'],
    ];
  }
  const open: [MsgKey, MsgKey] = ['stopSirenOpenHead', level === 'evacuate' ? 'stopSirenOpenEvacuate' : silences === true ? 'stopSirenOpenPrepare' : 'ackSeenOpenPrepare'];
  if (silences === true) return [['stopSirenStopsHead', 'stopSirenStops'], ['stopSirenStaysHead', 'stopSirenStays'], open];
  return [
    ['ackSeenRecordsHead', 'ackSeenRecords'],
    silences === false ? ['ackSeenContinuesHead', 'ackSeenContinues'] : ['ackUnknownSoundHead', 'ackUnknownSound'],
    ['stopSirenStaysHead', 'stopSirenStays'],
    open,
  ];
}

/** The acknowledge dialog's title and button (also the row's button): 停止鸣响 only when it does stop the sound. */
export function ackText(level: Level | null, silences: boolean | undefined): { title: MsgKey; submit: MsgKey } {
  if (level === null) return { title: 'stopBeepTitle', submit: 'stopBeepSubmit' };
  return silences === true ? { title: 'stopSirenTitle', submit: 'stopSirenSubmit' } : { title: 'ackSeenTitle', submit: 'ackSeenSubmit' };
}

/** An acknowledged alarm's state: 已停止鸣响, 已知晓（仍在鸣响） when the plan does not silence, 已知晓 when unknown. */
export function ackedStateKey(silences: boolean | undefined): MsgKey {
  return silences === true ? 'alarmState_acknowledged' : silences === false ? 'ackedSounding' : 'ackedSeen';
}

/** What the 立即转移 strip says of the sound (`silences` of level evacuate). */
export function stripStateKey(strip: { readonly acknowledged: boolean }, silences: boolean | undefined): MsgKey {
  if (!strip.acknowledged) return 'stripSounding';
  return silences === true ? 'stripSilenced' : ackedStateKey(silences);
}
