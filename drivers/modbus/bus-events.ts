/**
 * What a bus reports while it runs. These mirror BusStatusEvent, BusErrorEvent and BreakerEvent of
 * node-daemon/core/events.ts field for field, so the daemon can forward them to its EventHub unchanged,
 * while this driver stays free of daemon code.
 */
export type ModbusBusState = 'connecting' | 'open' | 'down' | 'closed';

export interface ModbusBusStatusEvent {
  readonly busId: string;
  readonly state: ModbusBusState;
  /** UTC milliseconds. */
  readonly ts: number;
  readonly error?: string;
}

/** A transaction failed on the wire. */
export interface ModbusBusErrorEvent {
  readonly busId: string;
  readonly slave: number;
  readonly ts: number;
  readonly kind: 'timeout' | 'exception' | 'crc' | 'port' | 'other';
  readonly message: string;
}

export type ModbusBreakerState = 'closed' | 'open' | 'half_open';

export interface ModbusBreakerEvent {
  readonly busId: string;
  readonly slave: number;
  readonly state: ModbusBreakerState;
  readonly ts: number;
}

/** All optional; a callback that throws is logged and otherwise ignored. */
export interface ModbusBusCallbacks {
  onStatus?(event: ModbusBusStatusEvent): void;
  onError?(event: ModbusBusErrorEvent): void;
  onBreaker?(event: ModbusBreakerEvent): void;
}
