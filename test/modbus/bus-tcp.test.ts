import { afterEach, describe, expect, it } from 'vitest';
import { ModbusError } from '../../drivers/modbus/types.js';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { holding, input, outcome, recordedBus, tcpConfig, waitFor } from './bus-fixtures.js';

const MAP: SlaveMap = { units: { '1': { holding: { '0': [1, 2, 3], '100': [7] }, input: { '0': [5, 6] } } } };

describe('Modbus TCP bus against a pymodbus slave', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reads holding and input registers, maps exception 2 and times out on a unit that never answers', async () => {
    const slave = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp' } });
    cleanups.push(() => slave.stop());
    const { bus, errors } = recordedBus(tcpConfig({ port: slave.port ?? 0 }));
    cleanups.push(() => bus.stop());
    await bus.start();

    expect(await bus.read(holding(1, 0, 3))).toEqual([1, 2, 3]);
    expect(await bus.read(holding(1, 100, 1))).toEqual([7]);
    expect(await bus.read(input(1, 0, 2))).toEqual([5, 6]);

    const exc = await bus.read(holding(1, 3, 1)).catch((e: unknown) => e);
    expect(exc).toBeInstanceOf(ModbusError);
    expect(exc).toMatchObject({ kind: 'exception', exceptionCode: 2 });

    expect(await outcome(bus.read(holding(9, 0, 1)))).toEqual({ kind: 'timeout' });
    // The connection is still good after a timeout.
    expect(await bus.read(input(1, 1, 1))).toEqual([6]);

    expect(bus.counters()).toMatchObject({ responses: 5, exceptions: 1, timeouts: 1, crcErrors: 0, portErrors: 0 });
    expect(errors.map((e) => [e.slave, e.kind])).toEqual([
      [1, 'exception'],
      [9, 'timeout'],
    ]);
  });

  it('goes down when the slave dies, fails fast meanwhile, reconnects by itself; another bus is unaffected', async () => {
    const slave = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp' } });
    const other = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp' } });
    cleanups.push(() => other.stop());
    // A long timeout, so the in-flight request below can only end by the connection loss.
    const a = recordedBus(tcpConfig({ id: 'a', port: slave.port ?? 0, timeoutMs: 3_000 }));
    const b = recordedBus(tcpConfig({ id: 'b', port: other.port ?? 0 }));
    cleanups.push(() => a.bus.stop(), () => b.bus.stop());
    await a.bus.start();
    await b.bus.start();
    expect(await a.bus.read(holding(1, 0, 1))).toEqual([1]);

    // A request in flight when the slave dies fails with the port, without waiting for its timeout.
    const inFlight = outcome(a.bus.read(holding(9, 0, 1)));
    await slave.kill9();
    expect(await inFlight).toEqual({ kind: 'port' });
    await waitFor('bus a down', () => a.statuses.some((s) => s.state === 'down'));
    const whileDown = await outcome(a.bus.read(holding(1, 0, 1)));
    expect(whileDown).toEqual({ kind: 'port' });
    // Meanwhile the other bus keeps working.
    for (let i = 0; i < 5; i++) expect(await b.bus.read(holding(1, 0, 3))).toEqual([1, 2, 3]);

    const again = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp', port: slave.port ?? 0 } });
    cleanups.push(() => again.stop());
    await waitFor('bus a reopened', () => a.statuses.at(-1)?.state === 'open');
    expect(await a.bus.read(holding(1, 0, 3))).toEqual([1, 2, 3]);
    expect(a.bus.counters().reconnects).toBeGreaterThanOrEqual(1);
    expect(a.bus.counters().portErrors).toBeGreaterThanOrEqual(1);
    expect(b.statuses.map((s) => s.state)).toEqual(['connecting', 'open']);
  });

  it('rejects queued requests with kind closed on stop', async () => {
    const slave = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp' } });
    cleanups.push(() => slave.stop());
    const { bus, statuses } = recordedBus(tcpConfig({ port: slave.port ?? 0, timeoutMs: 500 }));
    await bus.start();
    const pending = [bus.read(holding(9, 0, 1)), bus.read(holding(1, 0, 1)), bus.read(holding(1, 0, 1))].map(outcome);
    await bus.stop();
    const results = await Promise.all(pending);
    expect(results).toEqual([{ kind: 'closed' }, { kind: 'closed' }, { kind: 'closed' }]);
    expect(statuses.at(-1)?.state).toBe('closed');
    expect(await outcome(bus.read(holding(1, 0, 1)))).toEqual({ kind: 'closed' });
  });
});
