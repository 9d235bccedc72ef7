import { describe, expect, it } from 'vitest';
import { LateReplyGuard } from './late-reply-guard.js';

describe('LateReplyGuard', () => {
  it('holds a slave back after a silent timeout until its window passes; others are free', () => {
    const g = new LateReplyGuard({ lateReplyMs: 2_000 });
    g.sent(1, 1_000);
    expect(g.waitMs(1, 500)).toBe(0);
    g.unanswered(1, 1_000);
    expect(g.waitMs(1, 1_000)).toBe(2_000);
    expect(g.waitMs(2, 1_000)).toBe(0);
    expect(g.waitMs(1, 2_999)).toBe(1);
    expect(g.waitMs(1, 3_000)).toBe(0);
  });

  it('frees the slave as soon as its late answer has been drained', () => {
    const g = new LateReplyGuard({ lateReplyMs: 2_000 });
    g.sent(1, 1_000);
    g.unanswered(1, 1_000);
    expect(g.strayFrom(1, 1_400)).toBeUndefined();
    expect(g.waitMs(1, 1_400)).toBe(0);
  });

  it('widens the window of a slave seen answering later than it, up to the cap', () => {
    const g = new LateReplyGuard({ lateReplyMs: 1_000, maxLateReplyMs: 10_000 });
    g.sent(1, 1_000);
    g.unanswered(1, 1_000);
    expect(g.waitMs(1, 2_500)).toBe(0);
    // The answer lands 2 s after the deadline, past the 1 s window.
    expect(g.strayFrom(1, 3_000)).toBe(2_000);
    expect(g.windowMs(1)).toBe(3_000);
    expect(g.windowMs(2)).toBe(1_000);
    g.sent(1, 11_000);
    g.unanswered(1, 11_000);
    expect(g.waitMs(1, 11_000)).toBe(3_000);
    g.sent(1, 21_000);
    expect(g.strayFrom(1, 60_000)).toBe(39_000);
    expect(g.windowMs(1)).toBe(10_000);
  });

  it('a frame drained before its request timed out says nothing about lateness', () => {
    const g = new LateReplyGuard({ lateReplyMs: 1_000 });
    g.sent(1, 1_000);
    expect(g.strayFrom(1, 500)).toBeUndefined();
    expect(g.windowMs(1)).toBe(1_000);
  });
});

describe('LateReplyGuard, a late answer landing on an idle line', () => {
  it('after its window ran out unobserved still counts as too late, and widens the window', () => {
    const g = new LateReplyGuard({ lateReplyMs: 100 });
    g.sent(1, 300);
    g.unanswered(1, 300);
    // Nobody asked about slave 1 since; its answer comes 700 ms after the request, 400 ms after the deadline.
    expect(g.strayFrom(1, 700)).toBe(400);
    expect(g.windowMs(1)).toBe(600);
  });
});

describe('LateReplyGuard, a slave whose window ran out with nothing heard', () => {
  /** Slave 1 asked with deadline 1 000, unanswered, its 1 000 ms window run out by 2 000. */
  function afterSilence(): LateReplyGuard {
    const g = new LateReplyGuard({ lateReplyMs: 1_000 });
    g.sent(1, 1_000);
    g.unanswered(1, 1_000);
    expect(g.unconfirmed(1)).toBe(false);
    expect(g.waitMs(1, 2_000)).toBe(0);
    return g;
  }

  it('is unconfirmed; other slaves are not', () => {
    const g = afterSilence();
    expect(g.unconfirmed(1)).toBe(true);
    expect(g.unconfirmed(2)).toBe(false);
  });

  it('is unconfirmed too when the next request is sent without asking first', () => {
    const g = new LateReplyGuard({ lateReplyMs: 1_000 });
    g.sent(1, 1_000);
    g.unanswered(1, 1_000);
    g.sent(1, 2_300);
    expect(g.unconfirmed(1)).toBe(true);
  });

  it('a timeout whose answer is drained within its window leaves the slave confirmed', () => {
    const g = new LateReplyGuard({ lateReplyMs: 1_000 });
    g.sent(1, 1_000);
    g.unanswered(1, 1_000);
    expect(g.strayFrom(1, 1_400)).toBeUndefined();
    expect(g.waitMs(1, 1_400)).toBe(0);
    expect(g.unconfirmed(1)).toBe(false);
  });

  it('its late answer drained between requests settles it: confirmed, the window widened', () => {
    const g = afterSilence();
    expect(g.strayFrom(1, 2_500)).toBe(1_500);
    expect(g.unconfirmed(1)).toBe(false);
    expect(g.windowMs(1)).toBe(2_250);
  });

  it('the probe\'s answer sets it aside until the probe\'s window has passed; then it is confirmed, the window as it was', () => {
    const g = afterSilence();
    g.sent(1, 2_300);
    g.probeAnswered(1, 2_010, 2_300);
    expect(g.unconfirmed(1)).toBe(false);
    expect(g.waitMs(1, 2_010)).toBe(1_290);
    expect(g.waitMs(2, 2_010)).toBe(0);
    expect(g.waitMs(1, 3_299)).toBe(1);
    expect(g.waitMs(1, 3_300)).toBe(0);
    expect(g.unconfirmed(1)).toBe(false);
    expect(g.windowMs(1)).toBe(1_000);
  });

  it('a second frame within the probe\'s window: both answers are in, the slave free and confirmed, the window widened by the first', () => {
    const g = afterSilence();
    g.sent(1, 2_300);
    g.probeAnswered(1, 2_010, 2_300);
    // The late answer came 1 010 ms after its deadline (10 ms past its window), the probe's own 6 ms later.
    expect(g.strayFrom(1, 2_016)).toBe(1_010);
    expect(g.waitMs(1, 2_016)).toBe(0);
    expect(g.unconfirmed(1)).toBe(false);
    expect(g.windowMs(1)).toBe(1_515);
  });

  it('a probe that times out leaves it unconfirmed, even when a frame is drained within that window', () => {
    const g = afterSilence();
    g.sent(1, 2_300);
    g.unanswered(1, 2_300);
    expect(g.unconfirmed(1)).toBe(true);
    // The probe's own late answer, or the one owed from before: which, nobody can tell.
    expect(g.strayFrom(1, 2_600)).toBeUndefined();
    expect(g.waitMs(1, 2_600)).toBe(0);
    expect(g.unconfirmed(1)).toBe(true);
  });

  it('a new silence after it was confirmed makes it unconfirmed again', () => {
    const g = afterSilence();
    g.sent(1, 2_300);
    g.probeAnswered(1, 2_010, 2_300);
    expect(g.waitMs(1, 3_300)).toBe(0);
    g.sent(1, 3_600);
    g.unanswered(1, 3_600);
    expect(g.unconfirmed(1)).toBe(false);
    expect(g.waitMs(1, 4_600)).toBe(0);
    expect(g.unconfirmed(1)).toBe(true);
  });
});

describe('LateReplyGuard, damaged answers', () => {
  it('bytes from a slave whose answer is awaited end the wait like a whole frame; outside a window they say nothing', () => {
    const g = new LateReplyGuard({ lateReplyMs: 1_000 });
    expect(g.damagedFrom(1, 500)).toBeUndefined();
    g.sent(1, 1_000);
    g.unanswered(1, 1_000);
    expect(g.damagedFrom(1, 1_400)).toEqual({});
    expect(g.waitMs(1, 1_400)).toBe(0);
    expect(g.unconfirmed(1)).toBe(false);
    g.sent(1, 3_000);
    g.unanswered(1, 3_000);
    expect(g.waitMs(1, 4_000)).toBe(0);
    expect(g.unconfirmed(1)).toBe(true);
    // Past the window, damaged bytes are not taken for the answer that was owed: still unconfirmed.
    expect(g.damagedFrom(1, 4_500)).toBeUndefined();
    expect(g.unconfirmed(1)).toBe(true);
  });

  it('a damaged second answer to a probe counts as the second answer', () => {
    const g = new LateReplyGuard({ lateReplyMs: 1_000 });
    g.sent(1, 1_000);
    g.unanswered(1, 1_000);
    expect(g.waitMs(1, 2_000)).toBe(0);
    g.sent(1, 2_300);
    g.probeAnswered(1, 2_010, 2_300);
    expect(g.damagedFrom(1, 2_016)).toEqual({ lateByMs: 1_010 });
    expect(g.waitMs(1, 2_016)).toBe(0);
    expect(g.windowMs(1)).toBe(1_515);
  });

  it('a timeout after which its damaged answer was heard: the window may run out unheard, the slave stays confirmed', () => {
    const g = new LateReplyGuard({ lateReplyMs: 1_000 });
    g.sent(1, 1_000);
    g.unanswered(1, 1_000, true);
    expect(g.waitMs(1, 1_500)).toBe(500);
    expect(g.waitMs(1, 2_000)).toBe(0);
    expect(g.unconfirmed(1)).toBe(false);
  });
});
