import { describe, expect, it } from 'vitest';
import { SigningKey } from './keys.js';
import { signOrder, verifyOrder, type Order } from './order.js';

const county = SigningKey.generate('county-1');
const T = Date.UTC(2026, 6, 20, 2, 0);
const order: Order = {
  v: 1,
  id: 'ord-1',
  kind: 'county_alarm',
  issuedAt: T,
  expiresAt: T + 3_600_000,
  to: ['xiaoshan-01'],
  by: 'duty-officer',
  body: { alertId: 'county-2026-07-20-1', level: 'evacuate', title: '东溪村 立即转移' },
};
const opts = { countyKey: county.publicKey, countyKeyId: 'county-1', boxId: 'xiaoshan-01', now: T + 1000, seen: () => false };

describe('downstream orders', () => {
  it('verifies what the county signed and hands back the parsed order', () => {
    const check = verifyOrder(signOrder(order, county), opts);
    expect(check).toEqual({ ok: true, order });
  });

  it('refuses a forgery, a tampered text and another key id before reading the order', () => {
    const forger = SigningKey.generate('county-1');
    expect(verifyOrder(signOrder(order, forger), opts)).toMatchObject({ ok: false, reason: 'bad_signature' });
    const signed = signOrder(order, county);
    const tampered = { ...signed, order: signed.order.replace('evacuate', 'prepare') };
    expect(verifyOrder(tampered, opts)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(verifyOrder({ ...signed, keyid: 'other' }, opts)).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('refuses an expired, a replayed, a not-yet-valid and a misaddressed order, naming the order', () => {
    const signed = signOrder(order, county);
    expect(verifyOrder(signed, { ...opts, now: T + 3_600_000 })).toMatchObject({ ok: false, reason: 'expired', id: 'ord-1' });
    expect(verifyOrder(signed, { ...opts, seen: (id) => id === 'ord-1' })).toMatchObject({ ok: false, reason: 'replayed', id: 'ord-1' });
    expect(verifyOrder(signed, { ...opts, now: T - 10 * 60_000 })).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect(verifyOrder(signed, { ...opts, boxId: 'other-box' })).toMatchObject({ ok: false, reason: 'not_addressed' });
    expect(verifyOrder(signOrder({ ...order, to: '*' }, county), { ...opts, boxId: 'other-box' })).toMatchObject({ ok: true });
  });

  it('will not sign what a box would refuse as malformed', () => {
    expect(() => signOrder({ ...order, expiresAt: order.issuedAt } as Order, county)).toThrow(/expiresAt/);
    expect(() => signOrder({ ...order, kind: 'content_manifest', body: { files: [{ path: '../etc/passwd', size: 1, sha256: 'a'.repeat(64) }] } }, county)).toThrow(/path/);
  });
});
