/**
 * The runner's time on the real clocks. A wait is cut into steps of at most a minute and the wall clock read again
 * after each, so a clock stepped by NTP moves the start of a recording with it.
 */
import { performance } from 'node:perf_hooks';
import type { RunnerTimers } from '../../broadcast/recording/schedule/ports.js';
import type { Clock } from '../core/types.js';

const STEP_MS = 60_000;

export function realTimers(clock: Clock): RunnerTimers {
  return {
    now: clock,
    monotonic: () => performance.now(),
    at(at, fn) {
      let handle: NodeJS.Timeout;
      const wait = (): void => {
        const left = at - clock();
        if (left <= 0) {
          fn();
          return;
        }
        handle = setTimeout(wait, Math.min(left, STEP_MS));
        handle.unref();
      };
      // Never at once, even when due: the caller finishes what it is doing first.
      handle = setTimeout(wait, Math.max(0, Math.min(at - clock(), STEP_MS)));
      handle.unref();
      return () => clearTimeout(handle);
    },
  };
}
