import { afterEach, describe, expect, it } from 'vitest';
import { LateReplyGuard } from './late-reply-guard.js';
import { buildReadRequest, withCrc } from './rtu-frame.js';
import { RtuTransactor, type StrayFrameEvent } from './rtu-transactor.js';

const FORMAT = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
const READ = { slave: 1, functionCode: 3, address: 100, count: 1 } as const;

/** Unit 1's 1-register answer with value `v`. */
function replyWith(v: number): Buffer {
  return withCrc([1, 3, 2, v >> 8, v & 0xff]);
}

describe('RtuTransactor on a real UART: timing the wire', () => {
  const disposers: (() => void)[] = [];
  afterEach(() => {
    for (const d of disposers.splice(0)) d();
  });

  function transactor(physical: boolean) {
    let now = 1_000;
    const written: Buffer[] = [];
    const strays: StrayFrameEvent[] = [];
    const t = new RtuTransactor({
      format: FORMAT,
      timeoutMs: 5_000,
      guard: new LateReplyGuard({ lateReplyMs: 1_000 }),
      physical,
      now: () => now,
      write: (frame) => written.push(frame),
      onStray: (e) => strays.push(e),
    });
    disposers.push(() => t.dispose());
    return { t, written, strays, advance: (ms: number) => (now += ms) };
  }

  it('drains a reply complete before request and reply could cross the wire, and takes the real one after', async () => {
    const { t, written, strays, advance } = transactor(true);
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual([buildReadRequest(READ)]);
    // 8 + 7 bytes at 9600 8N1 take 15.6 ms: a whole reply 2 ms after the request was already on its way.
    advance(2);
    t.receive(replyWith(1111));
    advance(20);
    t.receive(replyWith(2222));
    expect(await answer).toEqual([2222]);
    expect(strays).toEqual([{ slave: 1, functionCode: 3, reason: 'too_early' }]);
  });

  it('on a pty (no wire timing) the first reply is taken', async () => {
    const { t, strays, advance } = transactor(false);
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(2);
    t.receive(replyWith(1111));
    expect(await answer).toEqual([1111]);
    expect(strays).toEqual([]);
  });

  it('drains a whole frame that arrives between transactions and skips one from another unit', async () => {
    const { t, strays, advance } = transactor(false);
    t.receive(replyWith(7));
    expect(strays).toEqual([{ slave: 1, functionCode: 3, reason: 'no_request' }]);
    // The line falls quiet before the next request goes out.
    advance(10);
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(5);
    const other = replyWith(9);
    other[0] = 2; // same shape from unit 2: its CRC no longer holds, so it is noise, then our reply follows
    t.receive(Buffer.concat([other, replyWith(3333)]));
    expect(await answer).toEqual([3333]);
  });
});

describe('RtuTransactor and a slave the guard holds unconfirmed', () => {
  const disposers: (() => void)[] = [];
  afterEach(() => {
    for (const d of disposers.splice(0)) d();
  });

  /** A transactor on a pty whose slave 1 timed out (deadline 1 000) and whose 1 000 ms window then ran out unheard. */
  function afterSilence() {
    let now = 2_000;
    const guard = new LateReplyGuard({ lateReplyMs: 1_000 });
    guard.sent(1, 1_000);
    guard.unanswered(1, 1_000);
    expect(guard.waitMs(1, now)).toBe(0);
    expect(guard.unconfirmed(1)).toBe(true);
    const strays: StrayFrameEvent[] = [];
    const t = new RtuTransactor({
      format: FORMAT,
      timeoutMs: 300,
      guard,
      physical: false,
      now: () => now,
      write: () => undefined,
      onStray: (e) => strays.push(e),
    });
    disposers.push(() => t.dispose());
    return { t, guard, strays, advance: (ms: number) => (now += ms), now: () => now };
  }

  it('does not take its first answer: the transaction ends at once as unconfirmed, and the slave is set aside', async () => {
    const { t, guard, strays, advance, now } = afterSilence();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(10);
    t.receive(replyWith(1111));
    await expect(answer).rejects.toMatchObject({ kind: 'unconfirmed' });
    expect(strays).toEqual([]);
    // Until the probe's window has passed (deadline 2 300 + 1 000), unless its second frame comes first.
    expect(guard.waitMs(1, now())).toBe(1_290);
    expect(guard.waitMs(2, now())).toBe(0);
  });

  it('its second frame is drained and logged as late: both answers are in, the slave free, the window widened', async () => {
    const { t, guard, strays, advance, now } = afterSilence();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(10);
    t.receive(replyWith(1111));
    await expect(answer).rejects.toMatchObject({ kind: 'unconfirmed' });
    advance(6);
    t.receive(replyWith(2222));
    expect(strays).toEqual([{ slave: 1, functionCode: 3, reason: 'no_request', lateByMs: 1_010 }]);
    expect(guard.waitMs(1, now())).toBe(0);
    expect(guard.windowMs(1)).toBe(1_515);
    // Asked again, it is believed.
    advance(10);
    const again = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(5);
    t.receive(replyWith(3333));
    expect(await again).toEqual([3333]);
  });

  it('two frames in one chunk: the first is not believed, the second is drained at once', async () => {
    const { t, guard, strays, advance, now } = afterSilence();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(10);
    t.receive(Buffer.concat([replyWith(1111), replyWith(2222)]));
    await expect(answer).rejects.toMatchObject({ kind: 'unconfirmed' });
    expect(strays).toEqual([{ slave: 1, functionCode: 3, reason: 'no_request', lateByMs: 1_010 }]);
    expect(guard.waitMs(1, now())).toBe(0);
  });

  it('its answer is not taken even when an earlier request\'s damaged bytes came first', async () => {
    const { t, advance } = afterSilence();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(10);
    t.receive(Buffer.from([1, 3, 2, 0]));
    advance(3);
    t.receive(replyWith(1111));
    await expect(answer).rejects.toMatchObject({ kind: 'unconfirmed' });
  });

  it('a frame of another shape from it during the probe is the late answer: the probe\'s own answer is then taken', async () => {
    const { t, guard, strays, advance } = afterSilence();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(10);
    // A 2-register answer to an earlier request: it cannot be this one's, and it settles what was owed.
    t.receive(withCrc([1, 3, 4, 0, 1, 0, 2]));
    advance(5);
    t.receive(replyWith(3333));
    expect(await answer).toEqual([3333]);
    expect(strays).toEqual([{ slave: 1, functionCode: 3, reason: 'other_request' }]);
    expect(guard.unconfirmed(1)).toBe(false);
  });
});

describe('RtuTransactor, damaged answers and the guard', () => {
  const disposers: (() => void)[] = [];
  afterEach(() => {
    for (const d of disposers.splice(0)) d();
  });

  /** A transactor with real timers (the silence is judged by setTimeout) and a clock that the test moves. */
  function transactor() {
    let now = 1_000;
    const guard = new LateReplyGuard({ lateReplyMs: 1_000 });
    const strays: StrayFrameEvent[] = [];
    const t = new RtuTransactor({
      format: FORMAT,
      timeoutMs: 100,
      guard,
      physical: false,
      now: () => now,
      write: () => undefined,
      onStray: (e) => strays.push(e),
    });
    disposers.push(() => t.dispose());
    return { t, guard, strays, advance: (ms: number) => (now += ms) };
  }

  const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('the damaged late answer of a slave set aside frees it once the line falls quiet', async () => {
    const { t, guard, strays, advance } = transactor();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(100);
    await expect(answer).rejects.toMatchObject({ kind: 'timeout' });
    expect(guard.waitMs(1, 1_100)).toBe(1_000);
    advance(200);
    // Unit 1's answer with a byte lost on the line: no whole frame, but its unit id first.
    t.receive(Buffer.from([1, 3, 2, 0x04, 0x57, 0x00]));
    await settle(40);
    expect(strays).toEqual([{ slave: 1, functionCode: 3, reason: 'damaged' }]);
    expect(guard.waitMs(1, 1_300)).toBe(0);
    expect(guard.unconfirmed(1)).toBe(false);
  });

  it('bytes of its own slave that make no frame before a timeout: its window may then run out unheard', async () => {
    const { t, guard, advance } = transactor();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    // Unit 1's header with its function code lost, too short to be its answer: no crc error, a timeout.
    t.receive(Buffer.from([1, 2, 0x04, 0x57]));
    await settle(40);
    advance(100);
    await expect(answer).rejects.toMatchObject({ kind: 'timeout' });
    expect(guard.waitMs(1, 2_100)).toBe(0);
    expect(guard.unconfirmed(1)).toBe(false);
  });

  it('without them, a window run out unheard leaves the slave unconfirmed', async () => {
    const { t, guard, advance } = transactor();
    const answer = t.transact(READ);
    await new Promise((r) => setImmediate(r));
    advance(100);
    await expect(answer).rejects.toMatchObject({ kind: 'timeout' });
    expect(guard.waitMs(1, 2_100)).toBe(0);
    expect(guard.unconfirmed(1)).toBe(true);
  });
});
