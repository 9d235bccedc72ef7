import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { StepLoop } from './step-loop.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('StepLoop', () => {
  it('runs steps back to back while they answer 0, waits as long as a step says, and starts the next at wake()', async () => {
    let steps = 0;
    const loop = new StepLoop(
      async () => (++steps < 3 ? 0 : 3_600_000),
      () => 0,
    );
    loop.start();
    for (let i = 0; i < 10; i++) await tick();
    expect(steps).toBe(3);
    loop.wake();
    for (let i = 0; i < 5; i++) await tick();
    expect(steps).toBe(4);
    await loop.stop();
    expect(loop.active).toBe(false);
  });

  it('hands a step that throws to onError, whose answer is the wait', async () => {
    const errors: string[] = [];
    let steps = 0;
    const loop = new StepLoop(
      async () => {
        steps += 1;
        if (steps === 1) throw new Error('link reset');
        return 3_600_000;
      },
      (err) => {
        errors.push((err as Error).message);
        return 0;
      },
    );
    loop.start();
    for (let i = 0; i < 10; i++) await tick();
    expect(errors).toEqual(['link reset']);
    expect(steps).toBe(2);
    await loop.stop();
  });

  it('stop() waits for the step under way and starts no other', async () => {
    let release: (() => void) | undefined;
    let steps = 0;
    const loop = new StepLoop(
      () => {
        steps += 1;
        return new Promise<number>((r) => (release = () => r(0)));
      },
      () => 0,
    );
    loop.start();
    await tick();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await tick();
    expect(stopped).toBe(false);
    release?.();
    await stopping;
    expect(steps).toBe(1);
  });

  it('calls onInterrupt at each event of interrupt$ while it runs, and no more after stop()', async () => {
    const alarm$ = new Subject<unknown>();
    let interrupts = 0;
    const loop = new StepLoop(
      async () => 3_600_000,
      () => 0,
    );
    loop.start(alarm$, () => (interrupts += 1));
    alarm$.next('raised');
    alarm$.next('escalated');
    expect(interrupts).toBe(2);
    await loop.stop();
    alarm$.next('cleared');
    expect(interrupts).toBe(2);
  });
});
