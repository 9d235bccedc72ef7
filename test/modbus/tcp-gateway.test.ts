import { afterEach, describe, expect, it } from 'vitest';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { startClosingTcpGateway } from '../rigs/closing-tcp-gateway.js';
import { holding, outcome, recordedBus, tcpConfig, waitFor } from './bus-fixtures.js';

const MAP: SlaveMap = { units: { '1': { holding: { '0': [11, 12], '100': [21, 22] } }, '2': { holding: { '0': [31, 32] } } } };

describe('Modbus TCP through a gateway that closes the connection after every reply', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('every sensor behind it is read: queued requests wait for the immediate reconnect instead of failing', async () => {
    const slave = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp' } });
    cleanups.push(() => slave.stop());
    const gateway = await startClosingTcpGateway({ target: { host: '127.0.0.1', port: slave.port ?? 0 } });
    cleanups.push(() => gateway.close());
    // A long reconnect delay: only an immediate reopen can keep up with a gateway that hangs up every time.
    const { bus, statuses, errors } = recordedBus(tcpConfig({ host: gateway.host, port: gateway.port, reconnectMs: 10_000 }));
    cleanups.push(() => bus.stop());
    await bus.start();

    for (let round = 0; round < 10; round++) {
      // Three sensors due at once, as the poller queues them.
      const results = await Promise.all([holding(1, 0, 2), holding(1, 100, 2), holding(2, 0, 2)].map((q) => outcome(bus.read(q))));
      expect(results, `round ${round}; errors ${JSON.stringify(errors)}`).toEqual([
        [11, 12],
        [21, 22],
        [31, 32],
      ]);
    }
    expect(gateway.closedByGateway()).toBeGreaterThanOrEqual(29);
    expect(bus.counters().reconnects).toBeGreaterThanOrEqual(29);
    // Hanging up after a reply is how such a gateway works, not an outage.
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'open']);
  });

  it('a slave whose breaker opened is probed as soon as the link is back, not when its open period ends', async () => {
    const first = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp' } });
    const port = first.port ?? 0;
    const { bus, statuses, breakers } = recordedBus(tcpConfig({ port, timeoutMs: 300, breaker: { failureThreshold: 1, openMs: 60_000 } }));
    cleanups.push(() => bus.stop());
    await bus.start();
    // Unit 9 is dead behind the gateway: one timeout opens its breaker for a minute.
    expect(await outcome(bus.read(holding(9, 0, 1)))).toEqual({ kind: 'timeout' });
    expect(await outcome(bus.read(holding(9, 0, 1)))).toEqual({ kind: 'breaker_open' });

    // The gateway is power-cycled; it comes back with unit 9 answering again.
    await first.kill9();
    await waitFor('bus down', () => statuses.some((s) => s.state === 'down'));
    const again = await startPymodbusSlave({ map: { units: { '9': { holding: { '0': [99] } } } }, endpoint: { kind: 'tcp', port } });
    cleanups.push(() => again.stop());
    await waitFor('bus open again', () => statuses.at(-1)?.state === 'open', 10_000);
    expect(await bus.read(holding(9, 0, 1))).toEqual([99]);
    expect(breakers.filter((b) => b.slave === 9).map((b) => b.state)).toEqual(['open', 'half_open', 'closed']);
  });
});
