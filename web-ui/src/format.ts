import { lang, t } from './i18n.js';

/** Display time zone: the box's (site.timezone, `timeZone` of GET /system), Asia/Shanghai until known. */
let zone = 'Asia/Shanghai';
const cache: Record<string, Intl.DateTimeFormat> = {};

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function setTimeZone(tz: string | undefined): void {
  if (tz !== undefined && tz !== '' && validZone(tz)) zone = tz;
}

export function timeZone(): string {
  return zone;
}

type TimeKind = 'full' | 'short' | 'time' | 'seconds' | 'day';

function fmt(kind: TimeKind): Intl.DateTimeFormat {
  const en = lang() === 'en';
  const key = `${lang()}|${zone}|${kind}`;
  const hit = cache[key];
  if (hit !== undefined) return hit;
  const base: Intl.DateTimeFormatOptions = { timeZone: zone, hour12: false };
  const ymdhm: Intl.DateTimeFormatOptions = { ...base, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' };
  const opts: Intl.DateTimeFormatOptions =
    kind === 'full'
      ? { ...ymdhm, second: '2-digit' }
      : kind === 'short'
        ? en
          ? ymdhm
          : { ...base, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }
        : kind === 'time'
          ? { ...base, hour: '2-digit', minute: '2-digit' }
          : kind === 'seconds'
            ? { ...base, hour: '2-digit', minute: '2-digit', second: '2-digit' }
            : en
              ? { ...base, month: 'short', day: 'numeric' }
              : { ...base, month: '2-digit', day: '2-digit' };
  const made = new Intl.DateTimeFormat(en ? 'en-GB' : 'zh-CN', opts);
  cache[key] = made;
  return made;
}

/** English dates as YYYY-MM-DD HH:mm(:ss): no day/month order to guess. Chrome 61 has formatToParts (57+). */
function isoLike(f: Intl.DateTimeFormat, d: Date): string {
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(d)) p[part.type] = part.value;
  const hour = p.hour === '24' ? '00' : p.hour;
  return `${p.year}-${p.month}-${p.day} ${hour}:${p.minute}${p.second !== undefined ? `:${p.second}` : ''}`;
}

/**
 * A time in the box's zone. zh-CN: 2026/12/01 19:54:59 (full), 12/01 19:54 (short); English: 2026-12-01 19:54:59,
 * 2026-12-01 19:54; both: 19:54 (time), 19:54:59 (seconds); day: 12/01 or 1 Dec.
 */
export function formatTime(ms: number | undefined | null, kind: TimeKind = 'full'): string {
  if (ms === undefined || ms === null || !isFinite(ms)) return '—';
  const f = fmt(kind);
  const d = new Date(ms);
  if (lang() === 'en' && (kind === 'full' || kind === 'short')) return isoLike(f, d);
  // Chrome before 73 writes midnight as 24:00 with hour12: false.
  return f.format(d).replace(/(^|\D)24:(\d\d)/, (_m, before: string, mm: string) => `${before}00:${mm}`);
}

/** The calendar day of a time in the box's zone (YYYY-MM-DD), to tell today from another day. */
export function localDay(ms: number): string {
  const key = `${zone}|day-key`;
  let f = cache[key];
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    cache[key] = f;
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}`;
}

/**
 * When something happened, as short as it can be read: in Chinese 08:42 today (the box's day) and 12/01 08:42 on
 * another day; in English always 2026-12-01 08:42 (no day/month order to guess).
 */
export function formatWhen(ms: number | undefined | null, now: number): string {
  if (ms === undefined || ms === null || !isFinite(ms)) return '—';
  if (lang() !== 'en' && localDay(ms) === localDay(now)) return formatTime(ms, 'time');
  return formatTime(ms, 'short');
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return t('ageSeconds', { n: s });
  const m = Math.round(s / 60);
  if (m < 90) return t('ageMinutes', { n: m });
  const h = Math.round(m / 60);
  if (h < 48) return t('ageHours', { n: h });
  return t('ageDays', { n: Math.round(h / 24) });
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !isFinite(seconds)) return '—';
  return formatAge(seconds * 1000);
}

/** A number with fixed decimals, or — when there is none. */
export function num(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !isFinite(v)) return '—';
  return v.toFixed(digits);
}

/** The length unit as the UI writes it: 米 in Chinese, m in English. Every length goes through here. */
export function metreUnit(): string {
  return t('unitMetre');
}

/** "8.45 米" / "8.45 m" (— when there is no value). */
export function metres(v: number | null | undefined, digits = 2): string {
  const n = num(v, digits);
  return n === '—' ? n : t('metres', { v: n });
}

/** "+0.12 米/小时" / "+0.12 m/h". */
export function metresPerHour(v: number | null | undefined): string {
  const n = num(v, 2);
  return n === '—' ? n : t('trendValue', { v: (v !== null && v !== undefined && v > 0 ? '+' : '') + n });
}

/** "3.5 毫米" / "3.5 mm". */
export function millimetres(v: number | null | undefined): string {
  const n = num(v, 1);
  return n === '—' ? n : t('mm', { v: n });
}

/** "准备转移水位（米）" / "Prepare level (m)". */
export function withMetreUnit(label: string): string {
  return t('labelWithUnit', { label, unit: metreUnit() });
}

export function bytes(n: number | undefined): string {
  if (n === undefined || !isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}
