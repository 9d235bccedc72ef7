import { rtuBusSchema, tcpBusSchema, type RtuBusConfig, type TcpBusConfig } from '../../node-daemon/config/schema.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { ModbusBreakerEvent, ModbusBusErrorEvent, ModbusBusStatusEvent } from '../../drivers/modbus/bus-events.js';
import { createModbusBus } from '../../drivers/modbus/create-bus.js';
import type { LinkBus } from '../../drivers/modbus/link-bus.js';
import type { ReadRequest } from '../../drivers/modbus/types.js';

/** A bus built from config exactly as the daemon would, with every event it reports recorded. */
export interface RecordedBus {
  readonly bus: LinkBus;
  readonly statuses: ModbusBusStatusEvent[];
  readonly errors: ModbusBusErrorEvent[];
  readonly breakers: ModbusBreakerEvent[];
}

export function recordedBus(config: RtuBusConfig | TcpBusConfig): RecordedBus {
  const statuses: ModbusBusStatusEvent[] = [];
  const errors: ModbusBusErrorEvent[] = [];
  const breakers: ModbusBreakerEvent[] = [];
  const bus = createModbusBus(config, {
    logger: silentLogger(),
    callbacks: {
      onStatus: (e) => statuses.push(e),
      onError: (e) => errors.push(e),
      onBreaker: (e) => breakers.push(e),
    },
  });
  return { bus, statuses, errors, breakers };
}

export function tcpConfig(over: Partial<Record<keyof TcpBusConfig, unknown>> & { port: number }): TcpBusConfig {
  return tcpBusSchema.parse({ id: 'tcp-test', type: 'tcp', host: '127.0.0.1', timeoutMs: 300, retries: 0, reconnectMs: 100, ...over });
}

export function rtuConfig(over: Partial<Record<keyof RtuBusConfig, unknown>> & { path: string }): RtuBusConfig {
  return rtuBusSchema.parse({ id: 'rtu-test', type: 'rtu', baudRate: 19200, timeoutMs: 300, retries: 0, reconnectMs: 100, ...over });
}

export function holding(slave: number, address: number, count: number, priority = 1): ReadRequest {
  return { slave, functionCode: 3, address, count, priority };
}

export function input(slave: number, address: number, count: number, priority = 1): ReadRequest {
  return { slave, functionCode: 4, address, count, priority };
}

/** Polls until `check` is true; fails with `what` after timeoutMs. Tests wait on behaviour, not on fixed sleeps. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The settled outcome of a read, for assertions on kinds. */
export async function outcome(p: Promise<number[]>): Promise<number[] | { kind: string; code?: number }> {
  try {
    return await p;
  } catch (err) {
    const e = err as { kind?: string; exceptionCode?: number };
    return { kind: e.kind ?? 'non-modbus-error', ...(e.exceptionCode !== undefined ? { code: e.exceptionCode } : {}) };
  }
}
