/**
 * Waiting transactions of one bus: the lowest priority number first, first-in first-out within a priority.
 * Pure data structure; the bus decides when to take the next one (one in flight at a time).
 */
export class TransactionQueue<T> {
  private readonly items: { item: T; priority: number; seq: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: T, priority: number): void {
    const entry = { item, priority, seq: this.seq++ };
    // Queues are short (a few sensors per line), so a sorted insert beats a heap for clarity.
    let i = this.items.length;
    while (i > 0) {
      const prev = this.items[i - 1];
      if (prev === undefined || prev.priority <= priority) break;
      i--;
    }
    this.items.splice(i, 0, entry);
  }

  /** Removes and returns the most urgent item, or undefined when empty. */
  shift(): T | undefined {
    return this.items.shift()?.item;
  }

  /** Removes and returns the most urgent item that `ready` accepts, or undefined when none does. */
  shiftFirst(ready: (item: T) => boolean): T | undefined {
    const i = this.items.findIndex((e) => ready(e.item));
    if (i < 0) return undefined;
    return this.items.splice(i, 1)[0]?.item;
  }

  /** Puts an item back at the head of its priority (it goes next among equals). */
  pushFront(item: T, priority: number): void {
    let i = 0;
    while (i < this.items.length && (this.items[i]?.priority ?? Infinity) < priority) i++;
    this.items.splice(i, 0, { item, priority, seq: -1 });
  }

  /** The waiting items, most urgent first (not removed). */
  peekAll(): T[] {
    return this.items.map((e) => e.item);
  }

  /** Removes and returns every waiting item, most urgent first. */
  drain(): T[] {
    return this.items.splice(0).map((e) => e.item);
  }
}
