/**
 * The operator at night (issue 10 items 6 and 7), the pure parts: unit-tested in night-alarm.test.ts.
 */
import { displayTitle } from './alarm-text.js';
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
  /** Every alarm it names is acknowledged: siren and spoken warning stopped, the evacuation goes on. */
  readonly silenced: boolean;
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
    silenced: shown.every((a) => a.state === 'acknowledged'),
    titles: shown.map(displayTitle),
    drillsToo: real.length > 0 && real.length < open.length,
  };
}

/** `by` is free text "on behalf of", sent only when someone is named: the daemon records the signed-in account itself. */
export interface ActionBody {
  by?: string;
  note?: string;
  minutes?: number;
}

export function actionBody(form: { by: string; note: string; minutes?: number }): ActionBody {
  const body: ActionBody = {};
  if (form.by.trim() !== '') body.by = form.by.trim();
  if (form.minutes !== undefined) body.minutes = form.minutes;
  if (form.note.trim() !== '') body.note = form.note.trim();
  return body;
}

export type ManualKind = 'drill' | 'real';

export interface ManualBody {
  level: 'prepare' | 'evacuate';
  drill: boolean;
  siteId?: string;
  message?: string;
  by?: string;
}

/** The manual alarm to post; undefined until drill-or-real and the level are both chosen (neither has a default). */
export function manualBody(form: { kind: ManualKind | undefined; level: 'prepare' | 'evacuate' | undefined; siteId: string; message: string; by: string }): ManualBody | undefined {
  if (form.kind === undefined || form.level === undefined) return undefined;
  const body: ManualBody = { level: form.level, drill: form.kind === 'drill' };
  if (form.siteId !== '') body.siteId = form.siteId;
  if (form.message.trim() !== '') body.message = form.message.trim();
  if (form.by.trim() !== '') body.by = form.by.trim();
  return body;
}

/**
 * What 停止鸣响 (acknowledge) does, as [head, text] message keys, said in its dialog before it is done. With the
 * dispatch plans' default `silenceOnAck: true`: a level alarm's siren, spoken warning and the screens' beep stop, its
 * LED text and strobe stay until it clears, and it stays open; a fault only ever beeped on the screens.
 */
export function stopEffects(level: 'prepare' | 'evacuate' | null): [MsgKey, MsgKey][] {
  if (level === null) {
    return [
      ['stopSirenStopsHead', 'stopSirenFaultStops'],
      ['stopSirenOpenHead', 'stopSirenFaultOpen'],
    ];
  }
  return [
    ['stopSirenStopsHead', 'stopSirenStops'],
    ['stopSirenStaysHead', 'stopSirenStays'],
    ['stopSirenOpenHead', level === 'evacuate' ? 'stopSirenOpenEvacuate' : 'stopSirenOpenPrepare'],
  ];
}
