import type { Subscription } from 'rxjs';
import type { EventHub } from './events.js';
import type { Logger } from './log.js';
import type { Module } from './module.js';

/**
 * Writes the hub's wire errors to the journal, one line each, because an installer reads them to find a bad wire.
 * Bus state and breaker changes are logged by the bus driver itself, readings per committed batch by storage.
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
      hub.busError$.subscribe((e) =>
        log.warn({ event: 'bus.transaction_error', bus: e.busId, slave: e.slave, kind: e.kind, error: e.message }, e.message),
      ),
    ];
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}
