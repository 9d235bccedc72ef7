/**
 * Which slaves on an RTU line may still send an answer nobody is waiting for. An RTU reply carries no
 * transaction id: a late answer to a request that timed out matches a later request to the same slave on every
 * field (unit, function, byte count). So a slave that missed its deadline is not asked again until its late
 * answer has arrived and been drained, or could no longer arrive (`lateReplyMs` after the deadline). Other slaves
 * stay in use meanwhile: their replies carry another unit id.
 *
 * A late answer seen after its window shows the slave is slower than configured: its window grows to cover what
 * was seen, so the same lateness cannot fool the next request.
 *
 * A window that ran out with nothing heard leaves the slave unconfirmed: its answer may have been lost, or may
 * still come, later than the window. The next answer it gives (the probe's) may then be that late one, so it is
 * not believed: the transactor hands it to `probeAnswered` instead of to the caller, and the slave is left alone
 * until a second frame from it has been drained (the late answer and the probe's own: both are in, and the
 * window is widened to the lateness seen) or until the probe's own window has passed. Then every answer it owed
 * has been heard or is later than its window, which is what the guard assumes of every slave all along, and the
 * slave is confirmed again. Pure: time comes from the caller.
 */
export interface LateReplyGuardOptions {
  /** How long after a request's deadline its answer may still come. */
  readonly lateReplyMs: number;
  /** Upper bound of a learned window. */
  readonly maxLateReplyMs?: number;
}

const DEFAULT_MAX_LATE_MS = 60_000;

interface Pending {
  /** Until when the answer may still come. */
  readonly until: number;
  /** Bytes that may have been its answer, damaged, were heard before the deadline: the window may end unheard. */
  readonly heard?: boolean;
  /**
   * Set when what is awaited is the second answer to an unconfirmed slave's probe: `since` is the deadline of the
   * request whose window ran out unheard, `firstAt` when the probe's (untrusted) answer came.
   */
  readonly probe?: { readonly since: number; readonly firstAt: number };
}

export class LateReplyGuard {
  /** Slaves whose late answer may still come, and until when. */
  private readonly pending = new Map<number, Pending>();
  /** Slaves whose window was widened by a reply seen later than it; ms after the deadline. */
  private readonly learned = new Map<number, number>();
  /** The deadline of each slave's last request, to judge how late a stray reply is. */
  private readonly lastDeadline = new Map<number, number>();
  /** Unconfirmed slaves: the deadline of the request whose window ran out with nothing heard. */
  private readonly unconfirmedSince = new Map<number, number>();

  constructor(private readonly opts: LateReplyGuardOptions) {}

  windowMs(slave: number): number {
    return this.learned.get(slave) ?? this.opts.lateReplyMs;
  }

  /** Whether the next answer of `slave` may be a late answer to an earlier request (see the class comment). */
  unconfirmed(slave: number): boolean {
    return this.unconfirmedSince.has(slave);
  }

  /** A request went out to `slave`, to be answered by `deadline`. */
  sent(slave: number, deadline: number): void {
    // Only sent when allowed: whatever was pending is over.
    if (this.pending.has(slave)) this.expire(slave);
    this.lastDeadline.set(slave, deadline);
  }

  /**
   * The request to `slave` got no answer of its own by its deadline: its answer may still come. `heard`: bytes
   * from it that made no frame came before the deadline, probably that answer, damaged; then a window that runs
   * out unheard does not leave the slave unconfirmed.
   */
  unanswered(slave: number, deadline: number, heard = false): void {
    this.pending.set(slave, { until: deadline + this.windowMs(slave), ...(heard ? { heard } : {}) });
  }

  /**
   * An unconfirmed slave answered the request due by `deadline` (its probe), at `now`. That answer is not to be
   * believed: the slave is left alone until a second frame from it is drained or the probe's window has passed.
   */
  probeAnswered(slave: number, now: number, deadline: number): void {
    const since = this.unconfirmedSince.get(slave) ?? this.lastDeadline.get(slave) ?? deadline;
    this.unconfirmedSince.delete(slave);
    this.pending.set(slave, { until: deadline + this.windowMs(slave), probe: { since, firstAt: now } });
  }

  /**
   * A frame from `slave` arrived with no request of ours waiting for it (drained). When it shows an answer came
   * later than its window, the window is widened and this returns how long after its request's deadline that
   * answer came (for a probe's second frame: the first one, see `probeAnswered`); else undefined.
   */
  strayFrom(slave: number, now: number): number | undefined {
    const p = this.pending.get(slave);
    this.pending.delete(slave);
    if (p?.probe && now <= p.until) {
      // The probe's second answer: one of the two was the answer owed from before, later than its window. Both
      // are in now; the earlier one (a slave answers in order) is the late one.
      return this.widen(slave, p.probe.firstAt - p.probe.since);
    }
    if (p && now <= p.until) return undefined;
    // Past every window: this is the answer that was owed, so the slave owes none now.
    this.unconfirmedSince.delete(slave);
    const deadline = this.lastDeadline.get(slave);
    if (deadline === undefined) return undefined;
    return this.widen(slave, now - deadline);
  }

  /**
   * Bytes that start with the unit id of `slave` but make no whole frame (damaged on the line) arrived at `now`.
   * While its answer is awaited they are that answer, and count as `strayFrom` does; else nothing is concluded
   * from them. Returns whether they counted, and how late, as `strayFrom`.
   */
  damagedFrom(slave: number, now: number): { lateByMs?: number } | undefined {
    const p = this.pending.get(slave);
    if (!p || now > p.until) return undefined;
    const lateByMs = this.strayFrom(slave, now);
    return lateByMs === undefined ? {} : { lateByMs };
  }

  /** 0 when `slave` may be asked now, else how long until its late answer can no longer come. */
  waitMs(slave: number, now: number): number {
    const p = this.pending.get(slave);
    if (p === undefined) return 0;
    if (now >= p.until) {
      this.expire(slave);
      return 0;
    }
    return p.until - now;
  }

  /** A window ran out. After a probe, the slave is confirmed again; else it is unconfirmed (nothing was heard). */
  private expire(slave: number): void {
    const p = this.pending.get(slave);
    this.pending.delete(slave);
    if (!p || p.probe || p.heard) return;
    const deadline = this.lastDeadline.get(slave);
    if (deadline !== undefined) this.unconfirmedSince.set(slave, deadline);
  }

  private widen(slave: number, lateBy: number): number | undefined {
    if (lateBy <= 0) return undefined;
    const max = this.opts.maxLateReplyMs ?? DEFAULT_MAX_LATE_MS;
    this.learned.set(slave, Math.min(max, Math.max(this.windowMs(slave), Math.ceil(lateBy * 1.5))));
    return lateBy;
  }
}
