import ModbusSerial from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';

// modbus-serial is CommonJS: its default import is the client class, whatever its .d.ts says.
const ModbusRTU = ModbusSerial as unknown as typeof ModbusSerial.default;

// Checks the test peers themselves with a plain modbus-serial client, so a broken peer is not mistaken for a bus bug.
const map = { units: { '1': { holding: { '0': [1, 2, 3], '100': [7] }, input: { '0': [5] } } } };

describe('pymodbus test slave', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('serves holding and input registers over TCP and answers exception 2 outside its map', async () => {
    const slave: RunningSlave = await startPymodbusSlave({ map, endpoint: { kind: 'tcp' } });
    cleanups.push(() => slave.stop());
    const client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port: slave.port ?? 0 });
    cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
    client.setID(1);
    client.setTimeout(1000);
    expect((await client.readHoldingRegisters(0, 3)).data).toEqual([1, 2, 3]);
    expect((await client.readInputRegisters(0, 1)).data).toEqual([5]);
    await expect(client.readHoldingRegisters(3, 1)).rejects.toMatchObject({ modbusCode: 2 });
  });

  it('serves RTU on a socat pty and keeps unlisted units silent', async () => {
    const pty: PtyPair = await createPtyPair();
    cleanups.push(() => pty.close());
    const slave = await startPymodbusSlave({ map, endpoint: { kind: 'rtu', path: pty.b } });
    cleanups.push(() => slave.stop());
    const client = new ModbusRTU();
    await client.connectRTUBuffered(pty.a, { baudRate: 9600 });
    cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
    client.setTimeout(300);
    client.setID(1);
    expect((await client.readHoldingRegisters(100, 1)).data).toEqual([7]);
    client.setID(2);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
  });
});
