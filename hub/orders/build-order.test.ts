import { describe, expect, it } from 'vitest';
import { buildOrder } from './build-order.js';

const NOW = Date.UTC(2026, 6, 20, 1, 0);

describe('buildOrder', () => {
  it('makes a county alarm with an alert id from the order id', () => {
    const built = buildOrder({ kind: 'county_alarm', body: { level: 'evacuate', title: '全镇立即转移' }, by: 'chief' }, NOW, () => 'abc123');
    expect(built).toMatchObject({ ok: true, order: { id: '20260720T010000Z-abc123', body: { alertId: 'county-20260720T010000Z-abc123' }, to: '*' } });
  });

  it('checks a settings section with the box\'s own schema and names the first bad key', () => {
    expect(buildOrder({ kind: 'settings', body: { section: 'alarms', value: { sites: [] } }, by: 'chief' }, NOW).ok).toBe(true);
    const bad = buildOrder({ kind: 'settings', body: { section: 'alarms', value: { sites: [], shelvng: {} } }, by: 'chief' }, NOW);
    expect(bad).toMatchObject({ ok: false, param: 'body.value' });
    if (bad.ok) throw new Error('expected a refusal');
    expect(bad.message).toMatch(/shelvng/);
    const badPlan = buildOrder({ kind: 'settings', body: { section: 'dispatch', value: 'not a plan' }, by: 'chief' }, NOW);
    expect(badPlan.ok).toBe(false);
  });

  it('refuses a box list that names no box or a bad id', () => {
    expect(buildOrder({ kind: 'notice', body: { title: 't', text: 'x' }, to: [], by: 'c' }, NOW)).toMatchObject({ ok: false, param: 'to' });
    expect(buildOrder({ kind: 'notice', body: { title: 't', text: 'x' }, to: ['no spaces'], by: 'c' }, NOW)).toMatchObject({ ok: false, param: 'to' });
  });
});
