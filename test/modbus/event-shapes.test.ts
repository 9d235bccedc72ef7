import { describe, expect, it } from 'vitest';
import type { ModbusBreakerEvent, ModbusBusErrorEvent, ModbusBusStatusEvent } from '../../drivers/modbus/bus-events.js';
import { EventHub, type BreakerEvent, type BusErrorEvent, type BusStatusEvent } from '../../node-daemon/core/events.js';

// The driver's events must be assignable both ways to the daemon's, so the daemon forwards them unchanged.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusSame: Same<ModbusBusStatusEvent, BusStatusEvent> = true;
const errorSame: Same<ModbusBusErrorEvent, BusErrorEvent> = true;
const breakerSame: Same<ModbusBreakerEvent, BreakerEvent> = true;

describe('bus event shapes', () => {
  it('match the EventHub event types', () => {
    expect([statusSame, errorSame, breakerSame]).toEqual([true, true, true]);
    const hub = new EventHub();
    const seen: string[] = [];
    hub.busStatus$.subscribe((e) => seen.push(e.state));
    const forward = (e: ModbusBusStatusEvent): void => hub.busStatus$.next(e);
    forward({ busId: 'x', state: 'down', ts: 1, error: 'gone' });
    expect(seen).toEqual(['down']);
  });
});
