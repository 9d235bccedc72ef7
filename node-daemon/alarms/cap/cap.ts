import type { Alarm, AlarmLevel, AlarmTransition, AlarmWithHistory, TransitionType } from '../types.js';
import { element } from './xml.js';

/**
 * One alarm as an OASIS CAP 1.2 message, following China's GB/T 35965.1-2018 profile where our field notes know it:
 * identifier `ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`, times with the local offset (`+08:00`), language zh-CN.
 *
 * Choices (the profile's full code tables are not in the repo; revisit when they are):
 * - The message is the alarm's newest public transition: raised → Alert, escalated/deescalated → Update, cleared →
 *   Cancel (with responseType AllClear). Acknowledge and shelve are operator bookkeeping and send nothing, so they do
 *   not change the message. Earlier public transitions are listed in `references`.
 * - N in the identifier is the transition id: unique per box, so two messages in the same second never collide.
 * - category `Met` for flood, manual and county alarms (CAP 1.2 defines Met as "meteorological, inc. flood"); `Infra`
 *   for sensor and output faults.
 * - urgency/severity/certainty: evacuate → Immediate/Extreme/Observed, prepare → Expected/Severe/Likely, faults →
 *   Unknown/Minor/Observed (the fault itself is observed), cleared → Past/Minor/Observed.
 * - A drill is status `Exercise`, its headline starts with 【演练】 and the alert carries a note saying so.
 */
export interface CapContext {
  /** 14 characters ZZZZZZDDDUUUXX: 6-digit division code, 3-digit department, 3-digit unit, 2-digit extension. */
  readonly senderCode: string;
  /** CAP `sender`: the box's stable id (no spaces, commas, `<` or `&`). */
  readonly sender: string;
  /** Shown to people, e.g. 「清水镇防汛预警终端」. */
  readonly senderName?: string;
  /** The area the alarm covers, e.g. 「清水镇清水村」. */
  readonly areaDesc: string;
  /** E.g. { valueName: 'GB/T 2260', value: '530102' }. */
  readonly geocode?: { readonly valueName: string; readonly value: string };
  /** IANA zone for the identifier and the times (config `site.timezone`). */
  readonly timeZone: string;
}

const PUBLIC_TYPES: ReadonlySet<TransitionType> = new Set(['raised', 'escalated', 'deescalated', 'cleared']);

const LEVEL_TEXT: Readonly<Record<AlarmLevel, string>> = { prepare: '准备转移', evacuate: '立即转移' };

const INSTRUCTIONS: Readonly<Record<AlarmLevel | 'cleared' | 'fault', string>> = {
  evacuate: '立即转移：请立即按转移路线撤离到安全区域，听从村组干部指挥，先老人、儿童、病人，不要返回取物。',
  prepare: '准备转移：请备好证件、药品、饮水和照明，关注广播，随时听从转移指令；低洼处和河边人员先行转移。',
  cleared: '预警解除：请听从村组通知后再返回住所，注意检查房屋和道路安全。',
  fault: '监测设备故障：请值班人员尽快检查设备；故障期间加强人工巡查。',
};

const FAULT_EVENT: Readonly<Record<'fault' | 'output_fault', string>> = { fault: '传感器故障', output_fault: '预警设备故障' };

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';

interface LocalTime {
  /** YYYYMMDDhhmmss */
  readonly compact: string;
  /** YYYY-MM-DDThh:mm:ss+hh:mm as CAP wants it (UTC is written -00:00, never Z). */
  readonly cap: string;
}

function localTime(ms: number, timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const zone = get('timeZoneName').replace(/^GMT/, '');
  const offset = zone === '' || zone === '+00:00' ? '-00:00' : zone;
  const [y, mo, d, h, mi, s] = [get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')];
  return { compact: `${y}${mo}${d}${h}${mi}${s}`, cap: `${y}-${mo}-${d}T${h}:${mi}:${s}${offset}` };
}

function checkContext(ctx: CapContext): void {
  if (!/^[0-9A-Za-z]{14}$/.test(ctx.senderCode)) {
    throw new RangeError(`CAP senderCode must be 14 letters or digits (ZZZZZZDDDUUUXX), got "${ctx.senderCode}"`);
  }
  if (!/^[^\s,<&]+$/.test(ctx.sender)) throw new RangeError(`CAP sender must have no spaces, commas, < or &, got "${ctx.sender}"`);
}

function identifier(ctx: CapContext, t: AlarmTransition): string {
  return `${ctx.senderCode}_${localTime(t.ts, ctx.timeZone).compact}_${t.id}`;
}

function msgType(t: AlarmTransition): 'Alert' | 'Update' | 'Cancel' {
  if (t.type === 'cleared') return 'Cancel';
  return t.type === 'raised' ? 'Alert' : 'Update';
}

interface Assessment {
  readonly category: 'Met' | 'Infra';
  readonly event: string;
  readonly responseType: string;
  readonly urgency: string;
  readonly severity: string;
  readonly certainty: string;
  readonly instruction: string;
}

function assess(alarm: Alarm, t: AlarmTransition): Assessment {
  if (alarm.kind === 'fault' || alarm.kind === 'output_fault') {
    const cleared = t.type === 'cleared';
    return {
      category: 'Infra',
      event: FAULT_EVENT[alarm.kind],
      responseType: cleared ? 'AllClear' : 'Assess',
      urgency: cleared ? 'Past' : 'Unknown',
      severity: 'Minor',
      certainty: 'Observed',
      instruction: cleared ? '设备已恢复。' : INSTRUCTIONS.fault,
    };
  }
  const base = { category: 'Met' as const, event: '山洪' };
  if (t.type === 'cleared') {
    return { ...base, responseType: 'AllClear', urgency: 'Past', severity: 'Minor', certainty: 'Observed', instruction: INSTRUCTIONS.cleared };
  }
  if (t.level === 'evacuate') {
    return { ...base, responseType: 'Evacuate', urgency: 'Immediate', severity: 'Extreme', certainty: 'Observed', instruction: INSTRUCTIONS.evacuate };
  }
  return { ...base, responseType: 'Prepare', urgency: 'Expected', severity: 'Severe', certainty: 'Likely', instruction: INSTRUCTIONS.prepare };
}

function headline(alarm: Alarm, t: AlarmTransition): string {
  const title = t.type === 'cleared' ? `${alarm.title}（已解除）` : alarm.title;
  return alarm.drill && !title.startsWith('【演练】') ? `【演练】${title}` : title;
}

function description(alarm: Alarm, t: AlarmTransition, ctx: CapContext): string {
  const given = t.note ?? t.cause.detail;
  if (given !== undefined && given.trim() !== '') return given;
  const what = t.type === 'cleared' ? '预警解除' : t.level === null ? alarm.title : `山洪预警 ${LEVEL_TEXT[t.level]}`;
  const reading =
    typeof t.cause.value === 'number' && t.cause.readingTs !== undefined
      ? `，${localTime(t.cause.readingTs, ctx.timeZone).cap} 水位 ${t.cause.value.toFixed(2)} 米${t.cause.sensorId === undefined ? '' : `（${t.cause.sensorId}）`}`
      : '';
  return `${ctx.areaDesc}：${what}${reading}。`;
}

/**
 * The CAP 1.2 XML of the alarm's newest public transition (see the choices above). Pure: the same alarm and context
 * always give the same document. Throws RangeError for a bad sender code or an alarm with no public transition.
 */
export function alarmToCap(alarm: AlarmWithHistory, ctx: CapContext): string {
  checkContext(ctx);
  const publicOnes = alarm.transitions.filter((t) => PUBLIC_TYPES.has(t.type));
  const current = publicOnes[publicOnes.length - 1];
  if (current === undefined) throw new RangeError(`alarm ${alarm.id} has no raise in its history`);
  const earlier = publicOnes.slice(0, -1);
  const a = assess(alarm, current);
  const references = earlier.map((t) => `${ctx.sender},${identifier(ctx, t)},${localTime(t.ts, ctx.timeZone).cap}`).join(' ');

  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alert xmlns="${CAP_NAMESPACE}">`,
    ...element('identifier', identifier(ctx, current), '  '),
    ...element('sender', ctx.sender, '  '),
    ...element('sent', localTime(current.ts, ctx.timeZone).cap, '  '),
    ...element('status', alarm.drill ? 'Exercise' : 'Actual', '  '),
    ...element('msgType', msgType(current), '  '),
    ...element('scope', 'Public', '  '),
    ...element('note', alarm.drill ? '演练信息，非真实预警。' : undefined, '  '),
    ...element('references', references === '' ? undefined : references, '  '),
    '  <info>',
    ...element('language', 'zh-CN', '    '),
    ...element('category', a.category, '    '),
    ...element('event', a.event, '    '),
    ...element('responseType', a.responseType, '    '),
    ...element('urgency', a.urgency, '    '),
    ...element('severity', a.severity, '    '),
    ...element('certainty', a.certainty, '    '),
    ...element('senderName', ctx.senderName, '    '),
    ...element('headline', headline(alarm, current), '    '),
    ...element('description', description(alarm, current, ctx), '    '),
    ...element('instruction', a.instruction, '    '),
    '    <parameter>',
    ...element('valueName', 'fenghuo:alarmKey', '      '),
    ...element('value', alarm.key, '      '),
    '    </parameter>',
    '    <area>',
    ...element('areaDesc', ctx.areaDesc, '      '),
    ...(ctx.geocode === undefined
      ? []
      : ['      <geocode>', ...element('valueName', ctx.geocode.valueName, '        '), ...element('value', ctx.geocode.value, '        '), '      </geocode>']),
    '    </area>',
    '  </info>',
    '</alert>',
    '',
  ];
  return lines.join('\n');
}
