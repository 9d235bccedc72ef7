import { afterEach, describe, expect, it } from 'vitest';
import type { ModbusBusErrorEvent } from '../../drivers/modbus/bus-events.js';
import { LinkBus, UNCONFIRMED_RETRIES } from '../../drivers/modbus/link-bus.js';
import type { Link } from '../../drivers/modbus/link.js';
import { ModbusError, type ReadRequest } from '../../drivers/modbus/types.js';
import { silentLogger } from '../../node-daemon/core/log.js';

const READ: ReadRequest = { slave: 1, functionCode: 3, address: 0, count: 1, priority: 1 };

/**
 * A link that answers from a script, one entry per transaction. Like the RTU link, it sets a slave aside for
 * `asideMs` as it ends a transaction as unconfirmed.
 */
function scriptedLink(script: (number[] | ModbusError)[], asideMs = 0) {
  const asked: ReadRequest[] = [];
  const aside = new Map<number, number>();
  const link: Link = {
    transact: (req) => {
      asked.push(req);
      const next = script.shift() ?? new ModbusError('timeout', 'script ran out');
      if (next instanceof ModbusError && next.kind === 'unconfirmed') aside.set(req.slave, performance.now() + asideMs);
      return next instanceof ModbusError ? Promise.reject(next) : Promise.resolve(next);
    },
    waitMs: (slave) => Math.max(0, (aside.get(slave) ?? 0) - performance.now()),
    onLost: () => undefined,
    close: () => Promise.resolve(),
  };
  return { link, asked };
}

const unconfirmed = (): ModbusError => new ModbusError('unconfirmed', 'answered after a silence');

describe('LinkBus, an answer not believed (kind unconfirmed)', () => {
  const buses: LinkBus[] = [];
  afterEach(async () => {
    for (const b of buses.splice(0)) await b.stop();
  });

  async function bus(link: Link) {
    const errors: ModbusBusErrorEvent[] = [];
    const b = new LinkBus({
      id: 't',
      endpoint: 'test',
      openLink: () => Promise.resolve(link),
      slaveRange: { min: 1, max: 247 },
      logger: silentLogger(),
      callbacks: { onError: (e) => errors.push(e) },
      timeoutMs: 100,
      retries: 0,
      retryBackoffMs: 10,
      reconnectMs: 100,
      breaker: { failureThreshold: 1, openMs: 10_000, maxOpenMs: 10_000 },
    });
    buses.push(b);
    await b.start();
    return { b, errors };
  }

  it('asks again once the link lets it, without a wire error, a counter or a breaker failure; neighbours go first', async () => {
    const s = scriptedLink([unconfirmed(), [42], [7]], 50);
    const { b, errors } = await bus(s.link);
    const first = b.read(READ);
    // Slave 1 is set aside (its window) as its transaction ends; slave 2, queued behind it, is asked meanwhile.
    const neighbour = b.read({ ...READ, slave: 2 });
    expect(await neighbour).toEqual([42]);
    expect(await first).toEqual([7]);
    expect(s.asked.map((q) => q.slave)).toEqual([1, 2, 1]);
    expect(errors).toEqual([]);
    expect(b.counters()).toMatchObject({ requests: 3, responses: 2, timeouts: 0, crcErrors: 0 });
    // One failure would open it: the slave answered, so it is closed.
    expect(b.breakerState(1)).toBe('closed');
  });

  it('gives up after a bounded number of re-asks, with the kind unconfirmed', async () => {
    const s = scriptedLink(Array.from({ length: UNCONFIRMED_RETRIES + 1 }, unconfirmed));
    const { b } = await bus(s.link);
    await expect(b.read(READ)).rejects.toMatchObject({ kind: 'unconfirmed' });
    expect(s.asked.length).toBe(UNCONFIRMED_RETRIES + 1);
    expect(b.breakerState(1)).toBe('closed');
  });
});
