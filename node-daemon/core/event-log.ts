import type { Subscription } from 'rxjs';
import type { EventHub } from './events.js';
import type { Logger } from './log.js';
import type { Module } from './module.js';

/**
 * Writes the hub's operational events to the journal, one line each. Readings are not logged one by one (the
 * storage writer logs each committed batch); bus errors are, because an installer reads them to find a bad wire.
 */
export class EventLog implements Module {
  readonly name = 'event-log';
  private subs: Subscription[] = [];

  constructor(
    private readonly hub: EventHub,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { hub, log } = this;
    this.subs = [
      hub.busStatus$.subscribe((e) => {
        const level = e.state === 'down' ? 'warn' : 'info';
        log[level]({ event: `bus.${e.state}`, bus: e.busId, error: e.error }, `bus ${e.busId} ${e.state}`);
      }),
      hub.busError$.subscribe((e) =>
        log.warn({ event: 'bus.transaction_error', bus: e.busId, slave: e.slave, kind: e.kind, error: e.message }, e.message),
      ),
      hub.breaker$.subscribe((e) =>
        log[e.state === 'open' ? 'warn' : 'info'](
          { event: `breaker.${e.state}`, bus: e.busId, slave: e.slave },
          `slave ${e.slave} on ${e.busId}: breaker ${e.state}`,
        ),
      ),
    ];
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}
