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

  /** Removes and returns every waiting item, most urgent first. */
  drain(): T[] {
    return this.items.splice(0).map((e) => e.item);
  }
}
