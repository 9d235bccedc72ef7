/**
 * The one timer the rule engine needs: call `fn` every `ms`. Injected so tests drive time by hand (no sleeping).
 * Returns the function that stops it.
 */
export interface TickScheduler {
  every(ms: number, fn: () => void): () => void;
}

export const realTickScheduler: TickScheduler = {
  every(ms, fn) {
    const handle = setInterval(fn, ms);
    return () => clearInterval(handle);
  },
};
