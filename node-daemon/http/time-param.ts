import { z } from 'zod';

/** Latest time JavaScript dates can hold (year 275760), in UTC ms. */
const MAX_MS = 8.64e15;

const DIGITS = /^\d{1,16}$/;
/** `+08:00` typed into a URL unencoded arrives as ` 08:00` (form encoding turns `+` into a space). */
const SPACED_OFFSET = /(T\d\d:\d\d:\d\d(?:\.\d+)?) (\d\d:\d\d)$/;

function normalise(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (DIGITS.test(v)) return Number(v);
  return v.replace(SPACED_OFFSET, '$1+$2');
}

/**
 * A point in time given as UTC milliseconds (`1718006400000`) or ISO 8601 with seconds and an offset
 * (`2024-06-10T16:00:00+08:00`, `2024-06-10T08:00:00Z`), parsed to UTC ms. A time without an offset is refused:
 * whether it meant UTC or the site's zone cannot be guessed, and guessing wrong shifts a flood by eight hours.
 */
export function timeParam(name: string) {
  const message =
    `${name} must be UTC milliseconds (e.g. 1718006400000) or an ISO 8601 time with seconds and a UTC offset ` +
    '(e.g. 2024-06-10T16:00:00+08:00 or 2024-06-10T08:00:00Z)';
  return z
    .preprocess(
      normalise,
      z.union([
        z.int({ error: message }).min(0, { error: message }).max(MAX_MS, { error: message }).meta({ description: 'UTC milliseconds', examples: [1718006400000] }),
        z.iso.datetime({ offset: true, error: message }).meta({ description: 'ISO 8601 with a UTC offset', examples: ['2024-06-10T16:00:00+08:00'] }),
      ]),
    )
    .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));
}
