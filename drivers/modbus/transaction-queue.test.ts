import { describe, expect, it } from 'vitest';
import { TransactionQueue } from './transaction-queue.js';

describe('TransactionQueue', () => {
  it('gives the lowest priority number first and keeps arrival order within a priority', () => {
    const q = new TransactionQueue<string>();
    q.push('a5', 5);
    q.push('b1', 1);
    q.push('c5', 5);
    q.push('d0', 0);
    q.push('e1', 1);
    expect(q.size).toBe(5);
    expect([q.shift(), q.shift(), q.shift()]).toEqual(['d0', 'b1', 'e1']);
    q.push('f0', 0);
    expect(q.drain()).toEqual(['f0', 'a5', 'c5']);
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
  });
});
