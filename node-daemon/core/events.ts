import { Subject } from 'rxjs';
import type { ModbusBreakerEvent, ModbusBusErrorEvent, ModbusBusStatusEvent } from '../../drivers/modbus/bus-events.js';
import type { Alarm, AlarmTransition } from '../alarms/types.js';
import type { OutputEvent } from '../dispatch/outputs-snapshot.js';
import type { Reading, StoredReading } from './types.js';

// Bus events are defined by the Modbus driver (the lower layer) and forwarded to the hub unchanged.
export type {
  ModbusBusState as BusState,
  ModbusBusStatusEvent as BusStatusEvent,
  ModbusBusErrorEvent as BusErrorEvent,
  ModbusBreakerState as BreakerState,
  ModbusBreakerEvent as BreakerEvent,
} from '../../drivers/modbus/bus-events.js';

/** Emitted after a transaction that contained these readings has committed (fsynced) to SQLite. */
export interface StoredBatchEvent {
  readonly readings: readonly StoredReading[];
  /** Highest change-log sequence number written by the batch. */
  readonly seq: number;
  readonly ts: number;
}

/** Emitted after an alarm transition has committed to SQLite (never for a raise that changed nothing). */
export interface AlarmEvent {
  /** The alarm as it is after the transition. */
  readonly alarm: Alarm;
  readonly transition: AlarmTransition;
}

/**
 * The typed event streams that carry what happened (a reading, a stored batch, a bus or breaker change, an alarm
 * transition, an output change) from the module where it happened to any module that cares (Zigbee2MQTT-style, but
 * with RxJS subjects). Producers call `next`; consumers subscribe. Events are how modules hear of each other; what a
 * module calls (the database, the alarm service, the readings reader, the I/O board and other output devices, the
 * settings, or another module such as the dispatcher whose outputs the API shows) is handed to it by the
 * composition root, compose.ts.
 */
export class EventHub {
  readonly reading$ = new Subject<Reading>();
  readonly stored$ = new Subject<StoredBatchEvent>();
  readonly busStatus$ = new Subject<ModbusBusStatusEvent>();
  readonly busError$ = new Subject<ModbusBusErrorEvent>();
  readonly breaker$ = new Subject<ModbusBreakerEvent>();
  readonly alarm$ = new Subject<AlarmEvent>();
  /** A relay, speaker or LED board changed state (commanded, confirmed, failed, playing...). */
  readonly output$ = new Subject<OutputEvent>();

  complete(): void {
    for (const s of [this.reading$, this.stored$, this.busStatus$, this.busError$, this.breaker$, this.alarm$, this.output$]) s.complete();
  }
}
