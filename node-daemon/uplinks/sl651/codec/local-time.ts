import { Sl651Error, type Sl651ErrorCode, type WireOptions } from './model.js';

/** The wire's time fields: YYMMDDhh (8 digits), YYMMDDhhmm (10) or YYMMDDhhmmss (12), station local time, year 20YY. */
export type TimeDigits = 8 | 10 | 12;

const DEFAULT_OFFSET_MINUTES = 480;

export function offsetOf(opts: WireOptions | undefined): number {
  return opts?.utcOffsetMinutes ?? DEFAULT_OFFSET_MINUTES;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `utcMs` as local-time digits; the fields below the resolution must be zero (no silent truncation). */
export function timeDigits(utcMs: number, count: TimeDigits, opts?: WireOptions): string {
  if (!Number.isFinite(utcMs)) throw new Sl651Error('encode', `time ${utcMs} is not a time`);
  const resolution = count === 12 ? 1000 : count === 10 ? 60_000 : 3_600_000;
  const local = utcMs + offsetOf(opts) * 60_000;
  if (local % resolution !== 0) throw new Sl651Error('encode', `time ${new Date(utcMs).toISOString()} is not on a ${resolution / 1000} s boundary`);
  const d = new Date(local);
  const year = d.getUTCFullYear();
  if (year < 2000 || year > 2099) throw new Sl651Error('encode', `year ${year} is outside 2000..2099 (two digits on the wire)`);
  const fields = [year - 2000, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  return fields.slice(0, count / 2).map(two).join('');
}

/** Local-time digits back to UTC ms; a field out of range (month 13, 30 February) is an Sl651Error with `code`. */
export function timeFromDigits(digits: string, code: Sl651ErrorCode, opts?: WireOptions): number {
  if (!/^\d+$/.test(digits) || ![8, 10, 12].includes(digits.length)) throw new Sl651Error(code, `time ${JSON.stringify(digits)} is not YYMMDDhh[mm[ss]]`);
  const f = (i: number): number => Number(digits.slice(i * 2, i * 2 + 2));
  const [y, mo, d, h] = [2000 + f(0), f(1), f(2), f(3)];
  const mi = digits.length >= 10 ? f(4) : 0;
  const s = digits.length === 12 ? f(5) : 0;
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const ok = local.getUTCMonth() === mo - 1 && local.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
  if (!ok) throw new Sl651Error(code, `time ${digits} is not a valid date and time`);
  return local.getTime() - offsetOf(opts) * 60_000;
}
