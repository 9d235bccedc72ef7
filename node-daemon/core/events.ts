import { Subject } from 'rxjs';
import type { Reading, StoredReading } from './types.js';

export type BusState = 'connecting' | 'open' | 'down' | 'closed';

export interface BusStatusEvent {
  readonly busId: string;
  readonly state: BusState;
  readonly ts: number;
  readonly error?: string;
}

/** A transaction failed on the wire (timeout, CRC error, exception response, port gone). */
export interface BusErrorEvent {
  readonly busId: string;
  readonly slave: number;
  readonly ts: number;
  readonly kind: 'timeout' | 'exception' | 'crc' | 'port' | 'other';
  readonly message: string;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerEvent {
  readonly busId: string;
  readonly slave: number;
  readonly state: BreakerState;
  readonly ts: number;
}

/** Emitted after a transaction that contained these readings has committed (fsynced) to SQLite. */
export interface StoredBatchEvent {
  readonly readings: readonly StoredReading[];
  /** Highest change-log sequence number written by the batch. */
  readonly seq: number;
  readonly ts: number;
}

/**
 * The typed event streams modules use to talk to each other (Zigbee2MQTT-style, but with RxJS subjects).
 * Producers call `next`; consumers subscribe. No module holds a reference to another module.
 */
export class EventHub {
  readonly reading$ = new Subject<Reading>();
  readonly stored$ = new Subject<StoredBatchEvent>();
  readonly busStatus$ = new Subject<BusStatusEvent>();
  readonly busError$ = new Subject<BusErrorEvent>();
  readonly breaker$ = new Subject<BreakerEvent>();

  complete(): void {
    for (const s of [this.reading$, this.stored$, this.busStatus$, this.busError$, this.breaker$]) s.complete();
  }
}
