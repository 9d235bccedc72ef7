export { ModbusError, zeroCounters, type BusCounters, type ModbusBus, type ModbusErrorKind, type ReadRequest } from './types.js';
export type {
  ModbusBreakerEvent,
  ModbusBreakerState,
  ModbusBusCallbacks,
  ModbusBusErrorEvent,
  ModbusBusState,
  ModbusBusStatusEvent,
} from './bus-events.js';
export { createModbusBus, type CreateBusDeps, type ModbusBusConfig } from './create-bus.js';
export { LinkBus } from './link-bus.js';
