// Polls per second through the daemon's bus (transaction queue, breaker, retries) vs a bare modbus-serial loop,
// both against the same fast TCP slave in another process, in the same run.
import { fileURLToPath } from 'node:url';
import ModbusRTU from 'modbus-serial';
import { createModbusBus } from '../drivers/modbus/index.js';
import { tcpBusSchema } from '../node-daemon/config/schema.js';
import { silentLogger } from '../node-daemon/core/log.js';
import { spawnUntil, stopChild } from './fixtures/child.js';
import type { BenchResult } from './result.js';

// modbus-serial is CommonJS: its default import is the client class, whatever its .d.ts says.
const ModbusClient = ModbusRTU as unknown as new () => InstanceType<typeof ModbusRTU.default>;

const POLLS = 5_000;
const REGISTERS = 5;

async function bareLoop(port: number): Promise<number> {
  const client = new ModbusClient();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(1_000);
  const t0 = performance.now();
  for (let i = 0; i < POLLS; i++) await client.readHoldingRegisters(2, REGISTERS);
  const s = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => client.close(() => r()));
  return POLLS / s;
}

async function throughBus(port: number): Promise<number> {
  const config = tcpBusSchema.parse({ id: 'bench', type: 'tcp', host: '127.0.0.1', port });
  const bus = createModbusBus(config, { logger: silentLogger() });
  await bus.start();
  // The daemon queues every sensor's poll at once and lets the bus serialise them: do the same.
  const t0 = performance.now();
  const batch = 50;
  for (let done = 0; done < POLLS; done += batch) {
    await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        bus.read({ slave: 1 + (i % 8), functionCode: 3, address: 2, count: REGISTERS, priority: i % 2 }),
      ),
    );
  }
  const s = (performance.now() - t0) / 1000;
  await bus.stop();
  return POLLS / s;
}

export async function benchPolls(): Promise<BenchResult> {
  const slave = fileURLToPath(new URL('./fixtures/fast-tcp-slave.js', import.meta.url));
  const { child, match } = await spawnUntil(slave, [], /^PORT (\d+)$/);
  try {
    const port = Number(match[1]);
    await bareLoop(port); // warm-up: JIT and the slave's first connection
    const peer = await bareLoop(port);
    const ours = await throughBus(port);
    return { name: 'polls/s through the bus queue vs bare modbus-serial', ours, peer, ratio: ours / peer, unit: 'polls/s', aim: '>= 0.8' };
  } finally {
    await stopChild(child);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchPolls()));
}
