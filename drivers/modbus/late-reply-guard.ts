/**
 * Which slaves on an RTU line may still send an answer nobody is waiting for. An RTU reply carries no
 * transaction id: a late answer to a request that timed out matches a later request to the same slave on every
 * field (unit, function, byte count). So a slave that missed its deadline is not asked again until its late
 * answer has arrived and been drained, or could no longer arrive (`lateReplyMs` after the deadline). Other slaves
 * stay in use meanwhile: their replies carry another unit id.
 *
 * A late answer seen after its window shows the slave is slower than configured: its window grows to cover what
 * was seen, so the same lateness cannot fool the next request. Pure: time comes from the caller.
 */
export interface LateReplyGuardOptions {
  /** How long after a request's deadline its answer may still come. */
  readonly lateReplyMs: number;
  /** Upper bound of a learned window. */
  readonly maxLateReplyMs?: number;
}


const DEFAULT_MAX_LATE_MS = 60_000;

export class LateReplyGuard {
  /** Slaves whose late answer may still come, and until when. */
  private readonly pending = new Map<number, number>();
  /** Slaves whose window was widened by a reply seen later than it; ms after the deadline. */
  private readonly learned = new Map<number, number>();
  /** The deadline of each slave's last request, to judge how late a stray reply is. */
  private readonly lastDeadline = new Map<number, number>();

  constructor(private readonly opts: LateReplyGuardOptions) {}

  windowMs(slave: number): number {
    return this.learned.get(slave) ?? this.opts.lateReplyMs;
  }

  /** A request went out to `slave`, to be answered by `deadline`. */
  sent(slave: number, deadline: number): void {
    // Only sent when allowed: whatever was pending is over.
    this.pending.delete(slave);
    this.lastDeadline.set(slave, deadline);
  }

  /** The request to `slave` got no answer of its own by its deadline: its answer may still come. */
  unanswered(slave: number, deadline: number): void {
    this.pending.set(slave, deadline + this.windowMs(slave));
  }

  /**
   * A frame from `slave` arrived with no request of ours waiting for it (drained). Returns how late it was after
   * the deadline of the last request to that slave, when it came after that request's window (the window has
   * been widened), else undefined.
   */
  strayFrom(slave: number, now: number): number | undefined {
    const until = this.pending.get(slave);
    this.pending.delete(slave);
    const deadline = this.lastDeadline.get(slave);
    if ((until !== undefined && now <= until) || deadline === undefined) return undefined;
    const lateBy = now - deadline;
    if (lateBy <= 0) return undefined;
    const max = this.opts.maxLateReplyMs ?? DEFAULT_MAX_LATE_MS;
    this.learned.set(slave, Math.min(max, Math.max(this.windowMs(slave), Math.ceil(lateBy * 1.5))));
    return lateBy;
  }

  /** 0 when `slave` may be asked now, else how long until its late answer can no longer come. */
  waitMs(slave: number, now: number): number {
    const until = this.pending.get(slave);
    if (until === undefined) return 0;
    if (now >= until) {
      this.pending.delete(slave);
      return 0;
    }
    return until - now;
  }
}
