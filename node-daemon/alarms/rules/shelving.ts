import type { Step } from './events.js';
import type { ShelvingConfig } from './schema.js';

/**
 * Shelving silences a fault alarm (keys `fault:…`) for a bounded time: it stays on record but drives no output.
 * Flood alarms are never shelved. A shelf ends when it expires, when the operator unshelves, or when the fault clears.
 */
export interface ShelvingState {
  readonly shelved: Readonly<Record<string, { readonly until: number; readonly by?: string }>>;
}

export type ShelvingInput =
  | { readonly kind: 'shelve'; readonly key: string; readonly durationMs?: number; readonly by?: string }
  | { readonly kind: 'unshelve'; readonly key: string; readonly by?: string }
  /** The fault behind `key` cleared: its shelf goes with it. */
  | { readonly kind: 'fault_cleared'; readonly key: string }
  | { readonly kind: 'tick' };

export type ShelvingEvent =
  | { readonly type: 'shelved'; readonly key: string; readonly ts: number; readonly until: number; readonly by?: string; readonly detail?: string }
  | { readonly type: 'unshelved'; readonly key: string; readonly ts: number; readonly reason: 'expired' | 'operator' | 'fault_cleared'; readonly by?: string }
  | { readonly type: 'shelve_refused'; readonly key: string; readonly ts: number; readonly reason: string };

export function initialShelvingState(): ShelvingState {
  return { shelved: {} };
}

export function isShelved(state: ShelvingState, key: string, now: number): boolean {
  const s = state.shelved[key];
  return s !== undefined && now < s.until;
}

function without(state: ShelvingState, key: string): ShelvingState {
  const shelved = { ...state.shelved };
  delete shelved[key];
  return { shelved };
}

export function stepShelving(cfg: ShelvingConfig, state: ShelvingState, input: ShelvingInput, now: number): Step<ShelvingState, ShelvingEvent> {
  switch (input.kind) {
    case 'shelve': {
      if (!input.key.startsWith('fault:')) {
        return { state, events: [{ type: 'shelve_refused', key: input.key, ts: now, reason: 'only fault alarms can be shelved' }] };
      }
      const asked = input.durationMs ?? cfg.defaultDurationMs;
      if (!(asked > 0)) return { state, events: [{ type: 'shelve_refused', key: input.key, ts: now, reason: 'duration must be positive' }] };
      const durationMs = Math.min(asked, cfg.maxDurationMs);
      const until = now + durationMs;
      const detail = durationMs < asked ? `limited to ${Math.round(cfg.maxDurationMs / 60_000)} min` : undefined;
      const entry = input.by === undefined ? { until } : { until, by: input.by };
      return {
        state: { shelved: { ...state.shelved, [input.key]: entry } },
        events: [{ type: 'shelved', key: input.key, ts: now, until, ...(input.by === undefined ? {} : { by: input.by }), ...(detail ? { detail } : {}) }],
      };
    }
    case 'unshelve':
    case 'fault_cleared': {
      if (!state.shelved[input.key]) return { state, events: [] };
      const reason = input.kind === 'unshelve' ? 'operator' : 'fault_cleared';
      const by = input.kind === 'unshelve' && input.by !== undefined ? { by: input.by } : {};
      return { state: without(state, input.key), events: [{ type: 'unshelved', key: input.key, ts: now, reason, ...by }] };
    }
    case 'tick': {
      let next = state;
      const events: ShelvingEvent[] = [];
      for (const [key, s] of Object.entries(state.shelved)) {
        if (now < s.until) continue;
        next = without(next, key);
        events.push({ type: 'unshelved', key, ts: now, reason: 'expired' });
      }
      return { state: next, events };
    }
  }
}
