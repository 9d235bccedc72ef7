/**
 * XMLTV date-times (xmltv.dtd): `YYYYMMDDhhmmss` with the trailing fields optional, then an optional zone, either a
 * numeric offset (`+0800`, as TVHeadend writes it) or `UTC`/`GMT`/`Z`. With no zone the DTD says UTC. Pure.
 */

const FORM = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([+-])(\d{2}):?(\d{2})|(UTC|GMT|Z))?$/;

/** UTC ms of an XMLTV time, or undefined when the text is not one. */
export function parseXmltvTime(text: string): number | undefined {
  const m = FORM.exec(text.trim());
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2] ?? '01', m[3] ?? '01', m[4] ?? '00', m[5] ?? '00', m[6] ?? '00'].map(Number) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March: such a date is not a date.
  if (new Date(wall).getUTCDate() !== day) return undefined;
  const offsetMin = m[7] === undefined ? 0 : (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  if (Math.abs(offsetMin) > 14 * 60) return undefined;
  return wall - offsetMin * 60_000;
}
