import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { afterMalformed, limitRecords, MAX_SET_ASIDE_IN_A_ROW, offenderPosition } from './isolate.js';
import { linkState } from './link-state.js';
import { classifyAnswer, outcomeEffects } from './outcome.js';
import { parsePin, spkiPin } from './tls-pin.js';

const lanes = [
  { lane: 'readings' as const, count: 6 },
  { lane: 'alarm' as const, count: 2 },
];

describe('a request the hub refuses as malformed (400 bad_request)', () => {
  it('finds the offending record from the hub\'s key path, lanes counted in body (priority) order', () => {
    // Body order: alarm (2 records), then readings (6).
    expect(offenderPosition('lanes.0.records.1.payload.transition.ts', lanes)).toBe(1);
    expect(offenderPosition('lanes.1.records.3.payload.readings.0.1', lanes)).toBe(5);
    expect(offenderPosition('lanes.1.records.3', lanes)).toBe(5);
    // Outside the records: the request itself.
    expect(offenderPosition('dbId', lanes)).toBe('envelope');
    expect(offenderPosition('lanes.0.after', lanes)).toBe('envelope');
    expect(offenderPosition('lanes.1.lane', lanes)).toBe('envelope');
    // Nothing usable: a path past the request's records, the records array itself, none.
    expect(offenderPosition('lanes.1.records.9', lanes)).toBeUndefined();
    expect(offenderPosition('lanes.1.records', lanes)).toBeUndefined();
    expect(offenderPosition(undefined, lanes)).toBeUndefined();
  });

  it('sends the records before the offender, or the offender alone when it is first, or half when the hub names none', () => {
    expect(afterMalformed({ lanes, param: 'lanes.1.records.3.payload', setAsideInARow: 0 })).toEqual({ kind: 'narrow', maxRecords: 5, offender: 5 });
    expect(afterMalformed({ lanes, param: 'lanes.0.records.0.payload', setAsideInARow: 0 })).toEqual({ kind: 'narrow', maxRecords: 1, offender: 0 });
    expect(afterMalformed({ lanes, setAsideInARow: 0 })).toEqual({ kind: 'narrow', maxRecords: 4 });
    expect(afterMalformed({ lanes: [{ lane: 'health', count: 3 }], setAsideInARow: 0 })).toEqual({ kind: 'narrow', maxRecords: 1 });
  });

  it('a record refused alone is set aside, but not when the hub names the envelope or has refused record after record', () => {
    const one = [{ lane: 'readings' as const, count: 1 }];
    expect(afterMalformed({ lanes: one, setAsideInARow: 0 })).toEqual({ kind: 'set_aside', lane: 'readings' });
    expect(afterMalformed({ lanes: one, param: 'lanes.0.records.0.payload', setAsideInARow: MAX_SET_ASIDE_IN_A_ROW - 1 })).toEqual({ kind: 'set_aside', lane: 'readings' });
    expect(afterMalformed({ lanes: one, setAsideInARow: MAX_SET_ASIDE_IN_A_ROW }).kind).toBe('refuse');
    expect(afterMalformed({ lanes: one, param: 'box', setAsideInARow: 0 }).kind).toBe('refuse');
    expect(afterMalformed({ lanes: [{ lane: 'alarm', count: 0 }], setAsideInARow: 0 }).kind).toBe('refuse');
  });

  it('limits a request to N records, lanes in priority order, each a prefix', () => {
    expect(limitRecords(lanes, 3)).toEqual([
      { lane: 'alarm', count: 2 },
      { lane: 'readings', count: 1 },
    ]);
    expect(limitRecords(lanes, 1)).toEqual([{ lane: 'alarm', count: 1 }]);
    expect(limitRecords(lanes, undefined)).toEqual([
      { lane: 'alarm', count: 2 },
      { lane: 'readings', count: 6 },
    ]);
  });
});

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

describe('answers that need the installer, and the link state they give', () => {
  it('a signed 409 stale_database is its own outcome, not a conflict to rewind; it refuses the box', () => {
    const o = classifyAnswer({ status: 409, body: json({ error: { code: 'stale_database', message: 'database x was replaced' } }) });
    expect(o).toEqual({ kind: 'stale_database', message: 'database x was replaced' });
    expect(outcomeEffects(o)).toEqual({ failure: true, halveTarget: false, hubRefusedBox: true });
    // A 409 with marks is still a conflict.
    expect(classifyAnswer({ status: 409, body: json({ acked: { alarm: 3 }, conflicts: ['alarm'], hubTime: 5 }) }).kind).toBe('conflict');
    // Unsigned, it is believed no more than any other unsigned answer.
    expect(classifyAnswer({ status: 409, unverified: 'missing_component', body: json({ error: { code: 'stale_database' } }) }).kind).toBe('unverified');
  });

  it('a signed 400 bad_request carries the hub\'s key path; another 400 code is a plain refusal', () => {
    expect(classifyAnswer({ status: 400, body: json({ error: { code: 'bad_request', message: 'lanes.0.records.2.seq: too small', param: 'lanes.0.records.2.seq' } }) })).toEqual({
      kind: 'malformed',
      param: 'lanes.0.records.2.seq',
      message: 'lanes.0.records.2.seq: too small',
    });
    expect(classifyAnswer({ status: 400, body: json({ error: { code: 'broken_stream' } }) }).kind).toBe('refused');
  });

  it('the link is stale_database or certificate_refused while that failure lasts, whatever the count', () => {
    const f = { enrolled: true, refused: true, everUp: true, overBudget: false };
    expect(linkState({ ...f, failures: 1, problem: 'stale_database' })).toBe('stale_database');
    expect(linkState({ ...f, failures: 7, problem: 'certificate_refused' })).toBe('certificate_refused');
    expect(linkState({ ...f, failures: 0, problem: 'stale_database' })).toBe('up');
    expect(outcomeEffects({ kind: 'network', failure: 'certificate', message: 'x' })).toEqual({ failure: true, halveTarget: false, hubRefusedBox: false });
  });
});

describe('the TLS pin', () => {
  it('is sha256/ + base64 of the SPKI DER; curl\'s sha256// form is read too; anything else is not a pin', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pin = spkiPin(publicKey.export({ type: 'spki', format: 'der' }));
    expect(pin).toMatch(/^sha256\/[A-Za-z0-9+/]{43}=$/);
    expect(parsePin(pin)).toBe(pin);
    expect(parsePin(pin.replace('sha256/', 'sha256//'))).toBe(pin);
    expect(parsePin(` ${pin} `)).toBe(pin);
    expect(parsePin('sha1/abc')).toBeUndefined();
    expect(parsePin(pin.slice(0, -2))).toBeUndefined();
  });
});
