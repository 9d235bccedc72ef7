/** Characters XML 1.0 does not allow at all (C0 controls except tab, newline and carriage return, and U+FFFE/U+FFFF). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside an element or a double-quoted attribute; forbidden characters are dropped. */
export function escapeXml(text: string): string {
  return text.replace(FORBIDDEN, '').replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

/** `<name>text</name>` with the text escaped; nothing when the value is absent. */
export function element(name: string, value: string | undefined, indent: string): string[] {
  return value === undefined ? [] : [`${indent}<${name}>${escapeXml(value)}</${name}>`];
}
