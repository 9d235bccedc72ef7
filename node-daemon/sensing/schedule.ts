/** What the schedule needs to know about a sensor. */
export interface ScheduledSensor {
  readonly id: string;
  readonly intervalMs: number;
  readonly critical: boolean;
}

interface Slot {
  readonly sensor: ScheduledSensor;
  readonly index: number;
  nextDueMs: number;
  inFlight: boolean;
}

/**
 * When each sensor is next due. Pure: every method takes the time (UTC ms) from the caller, so tests drive it
 * with virtual time. A sensor with a poll in flight is never due; polls keep their cadence (due + interval) unless
 * they fell a whole interval behind, in which case missed polls are skipped rather than fired in a burst.
 */
export class PollSchedule {
  private readonly slots = new Map<string, Slot>();

  /** Every sensor is due at `startMs`. Throws on a duplicate id or an interval that is not a positive number. */
  constructor(sensors: readonly ScheduledSensor[], startMs: number) {
    for (const [index, sensor] of sensors.entries()) {
      if (this.slots.has(sensor.id)) throw new Error(`sensor "${sensor.id}" is scheduled twice`);
      if (!(sensor.intervalMs > 0)) throw new RangeError(`sensor "${sensor.id}" has poll interval ${sensor.intervalMs} ms; expected more than 0`);
      this.slots.set(sensor.id, { sensor, index, nextDueMs: startMs, inFlight: false });
    }
  }

  /** Ids of the sensors due at `nowMs` and not in flight: critical first, then the most overdue, then config order. */
  due(nowMs: number): string[] {
    return [...this.slots.values()]
      .filter((s) => !s.inFlight && s.nextDueMs <= nowMs)
      .sort(
        (a, b) =>
          Number(b.sensor.critical) - Number(a.sensor.critical) || a.nextDueMs - b.nextDueMs || a.index - b.index,
      )
      .map((s) => s.sensor.id);
  }

  /** Records that a poll of `id` started at `nowMs` and sets its next due time. */
  started(id: string, nowMs: number): void {
    const slot = this.slot(id);
    if (slot.inFlight) throw new Error(`sensor "${id}" already has a poll in flight`);
    slot.inFlight = true;
    const next = slot.nextDueMs + slot.sensor.intervalMs;
    slot.nextDueMs = next > nowMs ? next : nowMs + slot.sensor.intervalMs;
  }

  /** Records that the poll of `id` settled; the sensor is due again at its next due time (maybe already past). */
  finished(id: string): void {
    this.slot(id).inFlight = false;
  }

  isInFlight(id: string): boolean {
    return this.slot(id).inFlight;
  }

  /** When the sensor is next due (UTC ms). */
  nextDue(id: string): number {
    return this.slot(id).nextDueMs;
  }

  /** The earliest time a sensor that is not in flight falls due, or undefined when every sensor is in flight. */
  nextWakeUp(): number | undefined {
    let earliest: number | undefined;
    for (const s of this.slots.values()) {
      if (!s.inFlight && (earliest === undefined || s.nextDueMs < earliest)) earliest = s.nextDueMs;
    }
    return earliest;
  }

  private slot(id: string): Slot {
    const slot = this.slots.get(id);
    if (slot === undefined) throw new Error(`sensor "${id}" is not scheduled`);
    return slot;
  }
}
