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
