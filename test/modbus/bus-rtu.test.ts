import { afterEach, describe, expect, it } from 'vitest';
import { startPymodbusSlave, type RunningSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { createPtyPair } from '../helpers/socat.js';
import { holding, input, outcome, recordedBus, rtuConfig, waitFor } from './bus-fixtures.js';

const UNIT1 = { holding: { '0': [1, 2, 3], '100': [7] }, input: { '0': [5, 6] } };
const ONLY_UNIT1: SlaveMap = { units: { '1': UNIT1 } };
const BOTH_UNITS: SlaveMap = { units: { '1': UNIT1, '2': { holding: { '0': [42] } } } };

describe('Modbus RTU bus on a socat pty pair against a pymodbus slave', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function line(map: SlaveMap) {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    let slave: RunningSlave = await startPymodbusSlave({ map, endpoint: { kind: 'rtu', path: pty.b, baud: 19200 } });
    cleanups.push(() => slave.stop());
    const restartSlave = async (next: SlaveMap): Promise<void> => {
      await slave.stop();
      slave = await startPymodbusSlave({ map: next, endpoint: { kind: 'rtu', path: pty.b, baud: 19200 } });
    };
    return { pty, restartSlave };
  }

  it('reads holding and input registers, maps exception 2 and times out on a silent unit', async () => {
    const { pty } = await line(ONLY_UNIT1);
    const { bus, errors } = recordedBus(rtuConfig({ path: pty.a }));
    cleanups.push(() => bus.stop());
    await bus.start();

    expect(await bus.read(holding(1, 0, 3))).toEqual([1, 2, 3]);
    expect(await bus.read(input(1, 0, 2))).toEqual([5, 6]);
    expect(await outcome(bus.read(holding(1, 50, 2)))).toEqual({ kind: 'exception', code: 2 });
    expect(await outcome(bus.read(holding(2, 0, 1)))).toEqual({ kind: 'timeout' });
    expect(await bus.read(holding(1, 100, 1))).toEqual([7]);
    expect(bus.counters()).toMatchObject({ requests: 5, responses: 4, exceptions: 1, timeouts: 1, crcErrors: 0 });
    expect(errors.map((e) => e.kind)).toEqual(['exception', 'timeout']);
  });

  it('runs one request at a time, most urgent first, and retries a timeout once', async () => {
    const { pty } = await line(ONLY_UNIT1);
    const { bus } = recordedBus(rtuConfig({ path: pty.a, retries: 1, retryBackoffMs: 10, breaker: { failureThreshold: 5 } }));
    cleanups.push(() => bus.stop());
    await bus.start();
    const order: string[] = [];
    const track = (name: string, p: Promise<number[]>) => p.then(() => order.push(name));
    const first = track('first', bus.read(holding(1, 0, 1, 5)));
    const tail = [
      track('low', bus.read(holding(1, 1, 1, 9))),
      track('urgent', bus.read(holding(1, 2, 1, 0))),
      track('mid', bus.read(input(1, 0, 1, 3))),
    ];
    await Promise.all([first, ...tail]);
    expect(order).toEqual(['first', 'urgent', 'mid', 'low']);

    expect(await outcome(bus.read(holding(3, 0, 1)))).toEqual({ kind: 'timeout' });
    expect(bus.counters().timeouts).toBe(2);
  });

  it('a silent slave on a shared line costs only its breaker; the re-probe closes it once the slave answers', async () => {
    const { pty, restartSlave } = await line(ONLY_UNIT1);
    const { bus, breakers } = recordedBus(
      rtuConfig({ path: pty.a, timeoutMs: 200, retries: 2, retryBackoffMs: 10, breaker: { failureThreshold: 2, openMs: 400, maxOpenMs: 1600 } }),
    );
    cleanups.push(() => bus.stop());
    await bus.start();

    const silent: { kind: string }[] = [];
    for (let round = 0; round < 4; round++) {
      const [a, b] = await Promise.all([outcome(bus.read(holding(1, 0, 3))), outcome(bus.read(holding(2, 0, 1)))]);
      expect(a).toEqual([1, 2, 3]);
      silent.push(b as { kind: string });
    }
    // Two timeouts open the breaker, and the slave is not retried once it is open.
    expect(silent.map((s) => s.kind)).toEqual(['timeout', 'breaker_open', 'breaker_open', 'breaker_open']);
    expect(bus.counters().timeouts).toBe(2);
    expect(breakers.map((e) => [e.slave, e.state])).toEqual([[2, 'open']]);

    // While open, the silent slave takes no wire time at all.
    const before = bus.counters().requests;
    expect(await outcome(bus.read(holding(2, 0, 1)))).toEqual({ kind: 'breaker_open' });
    expect(bus.counters().requests).toBe(before);

    await restartSlave(BOTH_UNITS);
    let value: unknown;
    await waitFor('unit 2 re-probed and answering', async () => {
      const r = await outcome(bus.read(holding(2, 0, 1)));
      value = r;
      return Array.isArray(r);
    });
    expect(value).toEqual([42]);
    expect(breakers.map((e) => e.state)).toEqual(['open', 'half_open', 'closed']);
    expect(await bus.read(holding(1, 0, 1))).toEqual([1]);
  });

  it('a failed re-probe re-opens the breaker without retry', async () => {
    const { pty } = await line(ONLY_UNIT1);
    const { bus, breakers } = recordedBus(
      rtuConfig({ path: pty.a, timeoutMs: 150, retries: 3, retryBackoffMs: 10, breaker: { failureThreshold: 1, openMs: 200, maxOpenMs: 800 } }),
    );
    cleanups.push(() => bus.stop());
    await bus.start();
    expect(await outcome(bus.read(holding(2, 0, 1)))).toEqual({ kind: 'timeout' });
    await waitFor('probe attempted', async () => {
      await outcome(bus.read(holding(2, 0, 1)));
      return breakers.length >= 3;
    });
    expect(breakers.map((e) => e.state)).toEqual(['open', 'half_open', 'open']);
    expect(bus.counters().timeouts).toBe(2);
  });

  it('goes down when the serial device disappears and reads again once it reappears at the same path', async () => {
    const { pty, restartSlave } = await line(ONLY_UNIT1);
    const { bus, statuses } = recordedBus(rtuConfig({ path: pty.a }));
    cleanups.push(() => bus.stop());
    await bus.start();
    expect(await bus.read(holding(1, 0, 1))).toEqual([1]);

    await pty.kill();
    await waitFor('bus down', () => statuses.some((s) => s.state === 'down'));
    expect(await outcome(bus.read(holding(1, 0, 1)))).toEqual({ kind: 'port' });

    await pty.recreate();
    await restartSlave(ONLY_UNIT1);
    await waitFor('bus open again', () => statuses.at(-1)?.state === 'open');
    expect(await bus.read(holding(1, 0, 3))).toEqual([1, 2, 3]);
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'open', 'down', 'open']);
    expect(bus.counters().reconnects).toBe(1);
  });

  it('starts down when the device is absent and opens once it appears', async () => {
    const { pty, restartSlave } = await line(ONLY_UNIT1);
    await pty.kill();
    const { bus, statuses } = recordedBus(rtuConfig({ path: pty.a }));
    cleanups.push(() => bus.stop());
    await bus.start();
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'down']);
    await pty.recreate();
    await restartSlave(ONLY_UNIT1);
    await waitFor('bus open', () => statuses.at(-1)?.state === 'open');
    expect(await bus.read(input(1, 0, 1))).toEqual([5]);
  });
});
