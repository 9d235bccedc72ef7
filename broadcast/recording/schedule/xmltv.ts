/**
 * Reading an XMLTV guide (xmltv.dtd; TVHeadend serves one at `/xmltv`): `<tv>` with `<channel id>` and
 * `<programme start stop channel>` elements carrying `<title lang>` and `<category lang>`. The XML itself is read by
 * `sax` (isaacs/sax-js: a streaming parser kept up by npm's author, no dependencies, strict mode with line and column
 * tracking), never by patterns. Any fault, of the XML or of a programme's required attributes, rejects the whole guide
 * with an `XmltvError` naming the line: a half-read guide would silently drop recordings. Pure.
 */
import sax from 'sax';
import { parseXmltvTime } from './xmltv-time.js';

export interface GuideText {
  readonly text: string;
  /** xml:lang as written (`zh`, `zh-CN`, `en`); undefined when absent. */
  readonly lang?: string;
}

export interface GuideChannel {
  /** The XMLTV channel id (`channels[].xmltvId` in the config names it). */
  readonly id: string;
  readonly names: readonly GuideText[];
}

export interface GuideProgramme {
  /** The XMLTV channel id. */
  readonly channel: string;
  /** UTC ms. */
  readonly start: number;
  /** UTC ms; a programme without `stop` ends where the channel's next one starts. */
  readonly stop: number;
  readonly titles: readonly GuideText[];
  readonly categories: readonly GuideText[];
  /** Where it stands in the file, for messages. */
  readonly line: number;
}

export interface Guide {
  readonly channels: readonly GuideChannel[];
  /** Sorted by channel, then start. */
  readonly programmes: readonly GuideProgramme[];
  /** Programmes left out: no stop and nothing after them, or a stop not after the start. */
  readonly skipped: number;
}

/** A guide that cannot be read: the first fault, with its 1-based line (and column when the XML itself is at fault). */
export class XmltvError extends Error {
  constructor(
    readonly line: number,
    readonly column: number | undefined,
    readonly reason: string,
  ) {
    super(`line ${line}${column === undefined ? '' : `, column ${column}`}: ${reason}`);
    this.name = 'XmltvError';
  }
}

interface OpenElement {
  readonly name: string;
  readonly line: number;
}

interface ProgrammeDraft {
  readonly channel: string;
  readonly start: number;
  readonly stop: number | undefined;
  readonly titles: GuideText[];
  readonly categories: GuideText[];
  readonly line: number;
}

interface TextDraft {
  readonly into: GuideText[];
  readonly lang: string | undefined;
  text: string;
}

/**
 * Reads a guide piece by piece (`write` each chunk as it arrives, then `end`), so a large guide is never held twice.
 * Throws `XmltvError` at the first fault.
 */
export class XmltvReader {
  private readonly parser = sax.parser(true, { position: true });
  private readonly stack: OpenElement[] = [];
  private readonly channels: GuideChannel[] = [];
  private readonly programmes: ProgrammeDraft[] = [];
  private programme: ProgrammeDraft | undefined;
  private channel: { id: string; names: GuideText[] } | undefined;
  private text: TextDraft | undefined;
  private sawRoot = false;

  constructor() {
    const p = this.parser;
    p.onerror = (err) => {
      throw new XmltvError(p.line + 1, p.column, this.explain(err.message.split('\n')[0] ?? err.message));
    };
    p.onopentag = (tag) => this.open(tag.name, tag.attributes as Record<string, string>);
    p.onclosetag = (name) => this.close(name);
    p.ontext = (t) => this.addText(t);
    p.oncdata = (t) => this.addText(t);
  }

  write(chunk: string): this {
    this.parser.write(chunk);
    return this;
  }

  end(): Guide {
    this.parser.close();
    if (!this.sawRoot) throw new XmltvError(this.parser.line + 1, undefined, 'no XML element at all: the file is empty or not XMLTV');
    return finish(this.channels, this.programmes);
  }

  /** sax's message, said with the element that was open. */
  private explain(reason: string): string {
    const open = this.stack.at(-1);
    if (open === undefined) return reason;
    const where = `<${open.name}> opened on line ${open.line}`;
    if (reason === 'Unexpected close tag') return `a closing tag that does not match ${where}`;
    if (reason === 'Unclosed root tag') return `the file ends with ${where} still open (cut short?)`;
    return `${reason} (inside ${where})`;
  }

  private line(): number {
    return this.parser.line + 1;
  }

  private open(name: string, attrs: Record<string, string>): void {
    const parent = this.stack.at(-1)?.name;
    this.stack.push({ name, line: this.line() });
    if (!this.sawRoot) {
      this.sawRoot = true;
      if (name !== 'tv') this.fail(`the root element is <${name}>, not <tv>: this is not an XMLTV guide`);
      return;
    }
    if (parent === 'tv' && name === 'programme') this.programme = this.programmeFrom(attrs);
    else if (parent === 'tv' && name === 'channel') this.channel = { id: this.required(attrs, 'id', 'channel'), names: [] };
    else if (parent === 'programme' && (name === 'title' || name === 'category') && this.programme !== undefined) {
      this.text = { into: name === 'title' ? this.programme.titles : this.programme.categories, lang: attrs.lang, text: '' };
    } else if (parent === 'channel' && name === 'display-name' && this.channel !== undefined) {
      this.text = { into: this.channel.names, lang: attrs.lang, text: '' };
    }
  }

  private close(name: string): void {
    this.stack.pop();
    if (this.text !== undefined && (name === 'title' || name === 'category' || name === 'display-name')) {
      const text = this.text.text.trim();
      if (text !== '') this.text.into.push({ text, ...(this.text.lang === undefined ? {} : { lang: this.text.lang }) });
      this.text = undefined;
    } else if (name === 'programme' && this.programme !== undefined) {
      this.programmes.push(this.programme);
      this.programme = undefined;
    } else if (name === 'channel' && this.channel !== undefined) {
      this.channels.push(this.channel);
      this.channel = undefined;
    }
  }

  private addText(t: string): void {
    if (this.text !== undefined) this.text.text += t;
  }

  private programmeFrom(attrs: Record<string, string>): ProgrammeDraft {
    const channel = this.required(attrs, 'channel', 'programme');
    const start = this.time(attrs, 'start', true)!;
    return { channel, start, stop: this.time(attrs, 'stop', false), titles: [], categories: [], line: this.line() };
  }

  private time(attrs: Record<string, string>, key: 'start' | 'stop', required: boolean): number | undefined {
    const text = required ? this.required(attrs, key, 'programme') : attrs[key];
    if (text === undefined) return undefined;
    const ms = parseXmltvTime(text);
    if (ms === undefined) this.fail(`<programme ${key}="${text}">: not an XMLTV time (expected YYYYMMDDhhmmss +hhmm, e.g. 20251208090000 +0800)`);
    return ms;
  }

  private required(attrs: Record<string, string>, key: string, element: string): string {
    const v = attrs[key];
    if (v === undefined || v.trim() === '') this.fail(`<${element}> has no ${key} attribute`);
    return v!;
  }

  private fail(reason: string): never {
    throw new XmltvError(this.line(), undefined, reason);
  }
}

/** Orders the programmes and gives each without `stop` the start of its channel's next one. */
function finish(channels: readonly GuideChannel[], drafts: readonly ProgrammeDraft[]): Guide {
  const sorted = [...drafts].sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : a.start - b.start));
  const programmes: GuideProgramme[] = [];
  let skipped = 0;
  sorted.forEach((d, i) => {
    const next = sorted[i + 1];
    const stop = d.stop ?? (next !== undefined && next.channel === d.channel ? next.start : undefined);
    if (stop === undefined || stop <= d.start) {
      skipped++;
      return;
    }
    programmes.push({ channel: d.channel, start: d.start, stop, titles: d.titles, categories: d.categories, line: d.line });
  });
  return { channels, programmes, skipped };
}

/** Reads a whole guide held as text. Throws `XmltvError` naming the line of the first fault. */
export function parseXmltv(text: string): Guide {
  return new XmltvReader().write(text).end();
}

/** The title to show: the first in `preferLang` (matching `zh` to `zh-CN` too), else the first one. */
export function preferredText(texts: readonly GuideText[], preferLang = 'zh'): string | undefined {
  const wanted = texts.find((t) => t.lang !== undefined && (t.lang === preferLang || t.lang.startsWith(`${preferLang}-`)));
  return (wanted ?? texts[0])?.text;
}
