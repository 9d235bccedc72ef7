import { describe, expect, it } from 'vitest';
import { PlayoutQueue, type PlayoutEvent, type PlayoutItem } from './playout-queue.js';

/** A player whose plays end when the test says so (or when aborted), recording what happened. */
function controllablePlayer() {
  const running = new Map<string, () => void>();
  const log: string[] = [];
  const play = (item: PlayoutItem<string>, signal: AbortSignal) =>
    new Promise<{ outcome: 'played' | 'interrupted' }>((resolve) => {
      log.push(`play ${item.key}`);
      running.set(item.key, () => resolve({ outcome: 'played' }));
      signal.addEventListener('abort', () => {
        log.push(`abort ${item.key}`);
        resolve({ outcome: 'interrupted' });
      });
    });
  const finish = async (key: string): Promise<void> => {
    running.get(key)!();
    await new Promise((r) => setImmediate(r));
  };
  return { play, finish, log };
}

const item = (key: string, cls: PlayoutItem<string>['cls']): PlayoutItem<string> => ({ key, cls, payload: key });
const tick = () => new Promise((r) => setImmediate(r));

describe('PlayoutQueue', () => {
  it('plays the most urgent first, FIFO within a class', async () => {
    const p = controllablePlayer();
    const q = new PlayoutQueue(p.play);
    q.enqueue(item('prog', 'programme'));
    q.enqueue(item('n1', 'county'));
    q.enqueue(item('n2', 'county'));
    q.enqueue(item('prep', 'prepare')); // pre-empts prog
    await tick();
    expect(p.log).toEqual(['play prog', 'abort prog', 'play prep']);
    await p.finish('prep');
    await p.finish('n1');
    await p.finish('n2');
    await p.finish('prog'); // the pre-empted programme plays again, whole
    await q.idle();
    expect(p.log.filter((l) => l.startsWith('play'))).toEqual(['play prog', 'play prep', 'play n1', 'play n2', 'play prog']);
  });

  it('an evacuate pre-empts a prepare; the escalated alarm replaces its own prepare rather than replaying it', async () => {
    const p = controllablePlayer();
    const events: PlayoutEvent<string>[] = [];
    const q = new PlayoutQueue(p.play, (e) => events.push(e));
    q.enqueue(item('flood:a', 'prepare'));
    await tick();
    q.enqueue(item('flood:a', 'evacuate'));
    await tick();
    expect(q.snapshot().playing?.cls).toBe('evacuate');
    await p.finish('flood:a');
    await q.idle();
    expect(p.log).toEqual(['play flood:a', 'abort flood:a', 'play flood:a']);
    expect(events.filter((e) => e.type === 'preempted')).toHaveLength(0);
  });

  it('a lower class never interrupts; cancel drops queued and playing items; stop drops the rest', async () => {
    const p = controllablePlayer();
    const events: PlayoutEvent<string>[] = [];
    const q = new PlayoutQueue(p.play, (e) => events.push(e));
    q.enqueue(item('evac', 'evacuate'));
    q.enqueue(item('prog', 'programme'));
    q.enqueue(item('note', 'county'));
    await tick();
    expect(p.log).toEqual(['play evac']);
    q.cancel('note');
    expect(q.snapshot().waiting.map((w) => w.key)).toEqual(['prog']);
    q.cancel('evac');
    await tick();
    expect(p.log).toEqual(['play evac', 'abort evac', 'play prog']);
    await q.stop();
    expect(events.at(-1)).toMatchObject({ type: 'finished', outcome: 'interrupted' });
  });

  it('a player that throws counts as failed and the queue moves on', async () => {
    const played: string[] = [];
    const q = new PlayoutQueue<string>(async (it) => {
      played.push(it.key);
      if (it.key === 'bad') throw new Error('no sound card');
      return { outcome: 'played' };
    }, (e) => e.type === 'finished' && played.push(`${e.item.key}:${e.outcome}:${e.error ?? ''}`));
    q.enqueue(item('bad', 'evacuate'));
    q.enqueue(item('good', 'prepare'));
    await q.idle();
    expect(played).toEqual(['bad', 'bad:failed:no sound card', 'good', 'good:played:']);
  });

  it('an item that does not resume is cut for good: the event names who cut it, and it is not played again', async () => {
    const p = controllablePlayer();
    const events: PlayoutEvent<string>[] = [];
    const q = new PlayoutQueue(p.play, (e) => events.push(e));
    q.enqueue({ key: 'scheduled:price', cls: 'programme', payload: 'price', resume: false });
    await tick();
    expect(q.has('scheduled:price')).toBe(true);
    q.enqueue(item('flood:a', 'evacuate'));
    await tick();
    expect(p.log).toEqual(['play scheduled:price', 'abort scheduled:price', 'play flood:a']);
    expect(events.find((e) => e.type === 'preempted')).toMatchObject({ item: { key: 'scheduled:price' }, by: { key: 'flood:a' }, resumes: false, outcome: 'interrupted' });
    expect(q.has('scheduled:price')).toBe(false);
    await p.finish('flood:a');
    await q.idle();
    expect(p.log.filter((l) => l.startsWith('play'))).toEqual(['play scheduled:price', 'play flood:a']);
  });
});
