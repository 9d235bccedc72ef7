/**
 * Keeps the XMLTV guide: at start the last good one from the database (so the box plans before the source answers),
 * then a fresh read at once, every `refreshMinutes`, and, for a file, whenever the file changes. A guide that cannot
 * be fetched or read leaves the last good one in use; the failure (with the guide's line when it is malformed) is
 * logged, stored and shown by the API.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { XmltvError, XmltvReader, type Guide, type GuideProgramme } from '../../broadcast/recording/schedule/xmltv.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import type { XmltvSourceConfig } from './config-schema.js';
import { fetchGuideText, guideSourceName, GuideFetchError } from './guide-source.js';
import type { GuideFailure, ScheduleStore } from './schedule-store.js';

export interface GuideLoaderDeps {
  /** Undefined: no guide is configured, and none is used. */
  readonly source: XmltvSourceConfig | undefined;
  readonly store: ScheduleStore;
  readonly log: Logger;
  readonly clock: Clock;
  /** Called after a new guide is in use. */
  readonly onGuide: () => void;
}

export type GuideReadResult = { readonly ok: true; readonly changed: boolean; readonly programmes: number } | { readonly ok: false; readonly failure: GuideFailure };

/** The reader takes the text in pieces, yielding between them, so a big guide never holds up the alarm loop. */
const PIECE_CHARS = 256 * 1024;

export async function parseGuideYielding(text: string): Promise<Guide> {
  const reader = new XmltvReader();
  for (let at = 0; at < text.length; at += PIECE_CHARS) {
    reader.write(text.slice(at, at + PIECE_CHARS));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return reader.end();
}

export class GuideLoader {
  readonly name = 'recording-guide';
  private current: readonly GuideProgramme[] = [];
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private reading: Promise<GuideReadResult> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: GuideLoaderDeps) {}

  /** The programmes of the guide in use. */
  programmes(): readonly GuideProgramme[] {
    return this.current;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const source = this.deps.source;
    // No guide configured (any more): a guide kept from before plans nothing.
    if (source === undefined) return;
    await this.loadKept();
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), source.refreshMinutes * 60_000);
    this.timer.unref();
    if (source.file !== undefined) this.watchFile(source.file);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.watcher?.close();
    await this.reading?.catch(() => undefined);
  }

  /** Reads the source now (one read at a time; a request during one makes one more after it). */
  refresh(): Promise<GuideReadResult> {
    if (this.reading !== undefined) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readOnce().finally(() => {
      this.reading = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.reading;
  }

  private async loadKept(): Promise<void> {
    const kept = this.deps.store.guide();
    if (kept?.xml === undefined) return;
    try {
      this.current = (await parseGuideYielding(kept.xml)).programmes;
      this.deps.log.info({ event: 'recording.guide_kept', source: kept.source, loadedAt: kept.loadedAt, programmes: this.current.length }, 'using the kept XMLTV guide');
    } catch (err) {
      // The kept text was good when stored; a newer reader that disagrees must not stop the box.
      this.deps.log.error({ event: 'recording.guide_kept_unreadable', err: String(err) }, 'the kept XMLTV guide cannot be read');
    }
  }

  private async readOnce(): Promise<GuideReadResult> {
    const source = this.deps.source!;
    const name = guideSourceName(source);
    const at = this.deps.clock();
    let text: string;
    try {
      text = await fetchGuideText(source);
    } catch (err) {
      if (!(err instanceof GuideFetchError)) throw err;
      return this.failed({ at, message: err.message }, name);
    }
    const sha256 = createHash('sha256').update(text).digest('hex');
    const kept = this.deps.store.guide();
    if (kept?.sha256 === sha256 && kept.source === name) {
      this.deps.store.guideUnchanged(at);
      return { ok: true, changed: false, programmes: this.current.length };
    }
    let guide: Guide;
    try {
      guide = await parseGuideYielding(text);
    } catch (err) {
      if (!(err instanceof XmltvError)) throw err;
      return this.failed({ at, message: err.message, line: err.line, ...(err.column === undefined ? {} : { column: err.column }) }, name);
    }
    if (this.stopped) return { ok: true, changed: false, programmes: this.current.length };
    this.deps.store.saveGuide({ source: name, xml: text, sha256, programmes: guide.programmes.length }, at);
    this.current = guide.programmes;
    this.deps.log.info(
      { event: 'recording.guide_loaded', source: name, programmes: guide.programmes.length, channels: guide.channels.length, skipped: guide.skipped },
      'XMLTV guide read',
    );
    this.deps.onGuide();
    return { ok: true, changed: true, programmes: guide.programmes.length };
  }

  private failed(failure: GuideFailure, source: string): GuideReadResult {
    this.deps.store.guideFailed(failure);
    this.deps.log.warn(
      { event: 'recording.guide_invalid', source, error: failure.message, ...(failure.line === undefined ? {} : { line: failure.line }), keptProgrammes: this.current.length },
      `XMLTV guide not taken (the last good one stays in use): ${failure.message}`,
    );
    return { ok: false, failure };
  }

  /** A file replaced (written in place or renamed over) is read again half a second after the last change. */
  private watchFile(file: string): void {
    try {
      this.watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== basename(file)) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.refresh(), 500);
      });
      this.watcher.on('error', (err) => this.deps.log.warn({ event: 'recording.guide_watch_failed', file, err: String(err) }, 'cannot watch the guide file; it is read on schedule only'));
    } catch (err) {
      this.deps.log.warn({ event: 'recording.guide_watch_failed', file, err: String(err) }, 'cannot watch the guide file; it is read on schedule only');
    }
  }
}
