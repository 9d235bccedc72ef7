import { createModbusBus, type LinkBus } from '../../drivers/modbus/index.js';
import type { BusConfig } from '../config/schema.js';
import type { BreakerEvent, BusErrorEvent, BusStatusEvent, EventHub } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';

/** Every configured bus, built from config, its driver callbacks forwarded to the hub, started and stopped as one module. */
export class BusModules implements Module {
  readonly name = 'modbus-buses';
  readonly buses: ReadonlyMap<string, LinkBus>;

  constructor(configs: readonly BusConfig[], hub: EventHub, log: Logger, clock: Clock) {
    const callbacks = {
      onStatus: (e: BusStatusEvent) => hub.busStatus$.next(e),
      onError: (e: BusErrorEvent) => hub.busError$.next(e),
      onBreaker: (e: BreakerEvent) => hub.breaker$.next(e),
    };
    this.buses = new Map(configs.map((c) => [c.id, createModbusBus(c, { logger: log, callbacks, now: clock })]));
  }

  /** A bus whose port is absent still starts (it keeps reconnecting), so one dead line never holds up the rest. */
  async start(): Promise<void> {
    await Promise.all([...this.buses.values()].map((b) => b.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.buses.values()].map((b) => b.stop()));
  }
}
