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
