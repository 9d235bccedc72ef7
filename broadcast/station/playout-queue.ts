/**
 * One loudspeaker's playout queue. Priorities follow warning practice: evacuate > prepare > county notice >
 * scheduled programme. One item plays at a time; a more urgent item pre-empts whatever is playing (the player is
 * told to stop through its AbortSignal) and the pre-empted item goes back to the queue, unless it was superseded or
 * says it does not resume (a scheduled programme is cut, not replayed over the alarm's end).
 * Within a priority, first come first served. The queue knows nothing of audio: `play` does the work.
 */
export const PLAYOUT_PRIORITY = { evacuate: 4, prepare: 3, county: 2, programme: 1 } as const;
export type PlayoutClass = keyof typeof PLAYOUT_PRIORITY;

export interface PlayoutItem<P> {
  /** Items with the same key replace each other (e.g. one alarm escalating from prepare to evacuate). */
  readonly key: string;
  readonly cls: PlayoutClass;
  readonly payload: P;
  /** After a pre-emption: back to the queue to play again, whole (default), or dropped. */
  readonly resume?: boolean;
}

export type PlayOutcome = 'played' | 'interrupted' | 'failed';

export interface PlayoutEvent<P> {
  readonly type: 'started' | 'finished' | 'preempted' | 'dropped';
  readonly item: PlayoutItem<P>;
  readonly outcome?: PlayOutcome;
  readonly error?: string;
  /** `preempted`: the more urgent item that cut this one, and whether this one plays again after it. */
  readonly by?: PlayoutItem<P>;
  readonly resumes?: boolean;
}

export type Player<P> = (item: PlayoutItem<P>, signal: AbortSignal) => Promise<{ outcome: PlayOutcome; error?: string }>;

interface Current<P> {
  readonly item: PlayoutItem<P>;
  readonly abort: AbortController;
  preemptedBy?: PlayoutItem<P>;
  superseded: boolean;
}

export class PlayoutQueue<P> {
  private readonly waiting: PlayoutItem<P>[] = [];
  private current: Current<P> | undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly play: Player<P>,
    private readonly onEvent: (e: PlayoutEvent<P>) => void = () => undefined,
  ) {}

  /** Queues an item; a queued or playing item with the same key is replaced by it. */
  enqueue(item: PlayoutItem<P>): void {
    if (this.stopped) return;
    this.removeWaiting(item.key);
    const cur = this.current;
    if (cur && cur.item.key === item.key) {
      cur.superseded = true;
      cur.abort.abort();
    } else if (cur && PLAYOUT_PRIORITY[item.cls] > PLAYOUT_PRIORITY[cur.item.cls]) {
      cur.preemptedBy = item;
      cur.abort.abort();
    }
    this.insert(item);
    this.pump();
  }

  /** Drops an item, queued or playing (e.g. an alarm acknowledged or cleared). */
  cancel(key: string): void {
    this.removeWaiting(key);
    if (this.current?.item.key === key) {
      this.current.superseded = true;
      this.current.abort.abort();
    }
  }

  /** Whether an item with this key plays or waits. */
  has(key: string): boolean {
    return this.current?.item.key === key || this.waiting.some((w) => w.key === key);
  }

  /** What is playing now and what waits, most urgent first. */
  snapshot(): { playing?: PlayoutItem<P>; waiting: readonly PlayoutItem<P>[] } {
    return { ...(this.current ? { playing: this.current.item } : {}), waiting: [...this.waiting] };
  }

  /** Resolves when nothing plays and nothing waits. */
  idle(): Promise<void> {
    if (!this.current && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops what plays and drops the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const item of this.waiting.splice(0)) this.onEvent({ type: 'dropped', item });
    if (this.current) {
      this.current.superseded = true;
      this.current.abort.abort();
    }
    await this.idle();
  }

  private insert(item: PlayoutItem<P>): void {
    const rank = PLAYOUT_PRIORITY[item.cls];
    const at = this.waiting.findIndex((w) => PLAYOUT_PRIORITY[w.cls] < rank);
    if (at < 0) this.waiting.push(item);
    else this.waiting.splice(at, 0, item);
  }

  private removeWaiting(key: string): void {
    const i = this.waiting.findIndex((w) => w.key === key);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private pump(): void {
    if (this.current || this.waiting.length === 0) {
      if (!this.current && this.waiting.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const item = this.waiting.shift()!;
    const cur: Current<P> = { item, abort: new AbortController(), superseded: false };
    this.current = cur;
    this.onEvent({ type: 'started', item });
    void this.play(item, cur.abort.signal)
      .catch((err: unknown) => ({ outcome: 'failed' as const, error: err instanceof Error ? err.message : String(err) }))
      .then((result) => {
        this.current = undefined;
        if (cur.preemptedBy && !cur.superseded && !this.stopped) {
          const resumes = item.resume !== false;
          this.onEvent({ type: 'preempted', item, outcome: result.outcome, by: cur.preemptedBy, resumes });
          // A pre-empted item plays again, whole, once the more urgent one is done.
          if (resumes && !this.waiting.some((w) => w.key === item.key)) this.insert(item);
        } else {
          this.onEvent({ type: 'finished', item, outcome: result.outcome, ...(result.error ? { error: result.error } : {}) });
        }
        this.pump();
      });
  }
}
