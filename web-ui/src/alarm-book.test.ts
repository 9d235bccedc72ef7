// The UI's guard against alarm snapshots landing out of order (the flaky 未确认-after-acknowledge).
import { describe, expect, it } from 'vitest';
import { AlarmBook, newer } from './alarm-book.js';

interface A {
  id: number;
  updatedAt: number;
  state: 'active' | 'acknowledged' | 'cleared';
  title?: string;
}
const active = (id: number, updatedAt: number): A => ({ id, updatedAt, state: 'active' });
const acked = (id: number, updatedAt: number): A => ({ id, updatedAt, state: 'acknowledged' });
const cleared = (id: number, updatedAt: number): A => ({ id, updatedAt, state: 'cleared' });

describe('newer', () => {
  it('keeps the copy with the larger updatedAt, the incoming one on a tie', () => {
    const old = active(1, 100);
    const now = acked(1, 200);
    expect(newer(now, old)).toBe(now);
    expect(newer(old, now)).toBe(now);
    const same = { ...old, title: 'x' };
    expect(newer(old, same)).toBe(same);
    expect(newer(undefined, old)).toBe(old);
  });
});

describe('AlarmBook', () => {
  it('a list fetched before the acknowledgement but answered after it does not undo the acknowledgement', () => {
    const book = new AlarmBook<A>();
    let shown: readonly A[] = book.applyActive(book.begin(), [active(7, 100)], []) ?? [];
    const before = book.begin(); // the live stream's refetch starts …
    const after = book.begin(); // … the acknowledgement's refetch starts later and answers first
    shown = book.applyActive(after, [acked(7, 200)], shown) ?? shown;
    expect(shown).toEqual([acked(7, 200)]);
    expect(book.applyActive(before, [active(7, 100)], shown)).toBeUndefined();
    expect(shown[0]!.state).toBe('acknowledged');
  });

  it('an older copy of an alarm in a newer list loses to the copy seen already', () => {
    const book = new AlarmBook<A>();
    let shown: readonly A[] = book.applyActive(book.begin(), [active(7, 100)], []) ?? [];
    // The answer to POST /ack arrives first …
    shown = book.note(acked(7, 200), shown);
    expect(shown).toEqual([acked(7, 200)]);
    // … then a list served before the acknowledgement (but requested after the last list) lands.
    shown = book.applyActive(book.begin(), [active(7, 100), active(8, 150)], shown) ?? shown;
    expect(shown).toEqual([acked(7, 200), active(8, 150)]);
  });

  it('a newer change still wins: an acknowledged alarm that escalates is active again', () => {
    const book = new AlarmBook<A>();
    let shown: readonly A[] = book.applyActive(book.begin(), [acked(7, 200)], []) ?? [];
    shown = book.applyActive(book.begin(), [active(7, 300)], shown) ?? shown;
    expect(shown).toEqual([active(7, 300)]);
  });

  it('an alarm a newer copy says is cleared is not shown again by an older list', () => {
    const book = new AlarmBook<A>();
    let shown: readonly A[] = book.applyActive(book.begin(), [active(7, 100)], []) ?? [];
    shown = book.note(cleared(7, 400), shown);
    expect(shown).toEqual([]);
    shown = book.applyActive(book.begin(), [active(7, 100)], shown) ?? shown;
    expect(shown).toEqual([]);
  });

  it('a newer list decides membership: an alarm it no longer has goes', () => {
    const book = new AlarmBook<A>();
    let shown: readonly A[] = book.applyActive(book.begin(), [active(7, 100), active(8, 100)], []) ?? [];
    shown = book.applyActive(book.begin(), [active(8, 100)], shown) ?? shown;
    expect(shown).toEqual([active(8, 100)]);
  });

  it('a stale list can still bring a newer copy of an alarm shown, but never adds one', () => {
    const book = new AlarmBook<A>();
    const old = book.begin();
    let shown: readonly A[] = book.applyActive(book.begin(), [active(7, 100)], []) ?? [];
    const next = book.applyActive(old, [acked(7, 250), active(9, 260)], shown);
    expect(next).toEqual([acked(7, 250)]);
    shown = next ?? shown;
    expect(book.applyActive(old, [acked(7, 250)], shown)).toBeUndefined();
  });

  it('note returns the same array when nothing is newer, and never adds an alarm not shown', () => {
    const book = new AlarmBook<A>();
    const shown: readonly A[] = book.applyActive(book.begin(), [acked(7, 200)], []) ?? [];
    expect(book.note(active(7, 100), shown)).toBe(shown);
    expect(book.note(active(9, 500), shown)).toBe(shown);
  });

  it('reset forgets what it saw: after logout the next list is shown as it is', () => {
    const book = new AlarmBook<A>();
    book.applyActive(book.begin(), [acked(7, 200)], []);
    book.reset();
    expect(book.applyActive(book.begin(), [active(7, 100)], [])).toEqual([active(7, 100)]);
  });
});
