import type { Reading } from '../../core/types.js';
import type { AlarmCause } from '../types.js';
import { FAULT_KINDS, faultKey, type FaultEvent, type FaultKind, type Sample, type Step } from './events.js';
import type { FaultRulesConfig } from './schema.js';

export interface FaultState {
  readonly sensorId: string;
  /** When the good-reading clock started: the last good reading, or when the engine first saw this sensor. */
  readonly lastGoodTs: number;
  readonly active: Readonly<Record<FaultKind, boolean>>;
  /** Start of the current run of values within stuckToleranceM of `value`. */
  readonly run: { readonly value: number; readonly since: number } | null;
  /** Previous in-range good sample, for the jump check. */
  readonly prev: { readonly value: number; readonly ts: number } | null;
  /** While a jump fault stands: consecutive samples consistent with the one before. */
  readonly jumpOkCount: number;
}

export type FaultInput = { readonly kind: 'reading'; readonly reading: Reading } | { readonly kind: 'tick' };

export interface FaultStep extends Step<FaultState, FaultEvent> {
  /** The reading as a sample the level rules may use, or null when it is not good or the sensor is in fault. */
  readonly usable: Sample | null;
}

export function initialFaultState(sensorId: string, now: number): FaultState {
  const active = Object.fromEntries(FAULT_KINDS.map((k) => [k, false])) as Record<FaultKind, boolean>;
  return { sensorId, lastGoodTs: now, active, run: null, prev: null, jumpOkCount: 0 };
}

export function isFaulted(state: FaultState): boolean {
  return FAULT_KINDS.some((k) => state.active[k]);
}

/** The fault kinds now standing on a sensor. */
export function activeFaults(state: FaultState): FaultKind[] {
  return FAULT_KINDS.filter((k) => state.active[k]);
}

class Transitions {
  readonly events: FaultEvent[] = [];
  readonly active: Record<FaultKind, boolean>;
  constructor(
    private readonly sensorId: string,
    active: Readonly<Record<FaultKind, boolean>>,
    private readonly now: number,
  ) {
    this.active = { ...active };
  }
  set(fault: FaultKind, on: boolean, cause: AlarmCause): void {
    if (this.active[fault] === on) return;
    this.active[fault] = on;
    const type = on ? 'fault_raise' : 'fault_clear';
    this.events.push({ type, key: faultKey(fault, this.sensorId), fault, sensorId: this.sensorId, ts: this.now, cause: { rule: `fault.${fault}`, sensorId: this.sensorId, ...cause } });
  }
}

/**
 * Faults of one sensor. `neighbours` are the fault states of the site's other sensors: a value is only "stuck" when
 * another sensor moved (left its own tolerance band) after this one's run of unchanged values began, so a calm
 * river with one gauge never reads as a fault.
 */
export function stepFaults(cfg: FaultRulesConfig, state: FaultState, input: FaultInput, now: number, neighbours: readonly FaultState[] = []): FaultStep {
  const t = new Transitions(state.sensorId, state.active, now);
  const silentFor = now - state.lastGoodTs;
  const lostCause = { readingTs: state.lastGoodTs, detail: `no good reading for ${Math.round(silentFor / 1000)} s` };
  if (input.kind === 'tick' || input.reading.quality !== 'good' || input.reading.value === null) {
    if (input.kind === 'reading' && input.reading.quality === 'out_of_range') {
      t.set('out_of_range', true, { readingTs: input.reading.ts, value: input.reading.value, detail: input.reading.detail ?? 'reading flagged out of range' });
    }
    if (silentFor > cfg.commLostMs) t.set('comm_lost', true, lostCause);
    return { state: { ...state, active: t.active }, events: t.events, usable: null };
  }

  const { ts, value } = input.reading;
  const cause = { readingTs: ts, value };
  t.set('comm_lost', false, cause);
  let { run, prev, jumpOkCount } = state;

  const outOfRange = (cfg.minM !== undefined && value < cfg.minM) || (cfg.maxM !== undefined && value > cfg.maxM);
  t.set('out_of_range', outOfRange, { ...cause, detail: outOfRange ? `outside ${cfg.minM ?? '-∞'}..${cfg.maxM ?? '∞'} m` : undefined });

  if (!outOfRange) {
    // After a silence longer than commLostMs the previous sample says nothing about this one.
    const comparable = prev !== null && ts - prev.ts <= cfg.commLostMs;
    const step = comparable ? Math.abs(value - prev!.value) : 0;
    if (!t.active.jump) {
      if (step > cfg.jumpM) {
        jumpOkCount = 0;
        t.set('jump', true, { ...cause, detail: `jumped ${step.toFixed(2)} m from ${prev!.value.toFixed(2)} m` });
      }
    } else {
      jumpOkCount = step <= cfg.jumpM ? jumpOkCount + 1 : 0;
      if (jumpOkCount >= cfg.jumpClearSamples) t.set('jump', false, { ...cause, detail: `${jumpOkCount} consistent samples` });
    }
    prev = { value, ts };

    if (run === null || Math.abs(value - run.value) > cfg.stuckToleranceM) {
      run = { value, since: ts };
      t.set('stuck', false, cause);
    } else if (ts - run.since >= cfg.stuckAfterMs) {
      const since = run.since;
      const moved = neighbours.find((n) => n.run !== null && n.run.since > since && !n.active.comm_lost);
      if (moved) t.set('stuck', true, { ...cause, detail: `unchanged since ${new Date(since).toISOString()} while ${moved.sensorId} moved` });
    }
  }

  const next: FaultState = { sensorId: state.sensorId, lastGoodTs: ts, active: t.active, run, prev, jumpOkCount };
  return { state: next, events: t.events, usable: isFaulted(next) ? null : { sensorId: state.sensorId, ts, value } };
}
