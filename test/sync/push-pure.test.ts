// The push client's pure parts (node-daemon/sync/push: acks, ingest-body, outcome, resend, link-state, wire-bytes,
// pace): what the box does with the hub's marks, the body and answers, the outcomes, when a failed request goes
// again unchanged, the link state, the bytes counted and the pacing.
import { describe, expect, it } from 'vitest';
import { planAcks } from '../../node-daemon/sync/push/acks.js';
import { ingestBodyText, parseIngestAnswer, refusalCode, retryAfterMs } from '../../node-daemon/sync/push/ingest-body.js';
import { DOWN_AFTER_FAILURES, linkState, type LinkFacts } from '../../node-daemon/sync/push/link-state.js';
import { classifyAnswer, describeOutcome, outcomeEffects } from '../../node-daemon/sync/push/outcome.js';
import { durationAtRate, paceWaitMs, sliceBytes } from '../../node-daemon/sync/push/pace.js';
import { resendDecision, type ResendInput } from '../../node-daemon/sync/push/resend.js';
import { requestHeadBytes, responseHeadBytes } from '../../node-daemon/sync/push/wire-bytes.js';

const cursors = { alarm: 10, health: 20, readings: 30, bulk: 5 };

describe('planAcks', () => {
  it('acknowledges marks above the cursors, with the folded readings seqs the ack covers', () => {
    const plan = planAcks({ status: 'stored', acked: { alarm: 12, health: 20, readings: 40, bulk: 5 }, cursors, folded: [29, 31, 35, 44] });
    expect(plan.acks).toEqual([
      { lane: 'alarm', seq: 12 },
      { lane: 'readings', seq: 40, aggregated: [31, 35] },
    ]);
    expect(plan.rewinds).toEqual([]);
    // 29 is at or below the old cursor (accounted for before), 31 and 35 now; 44 still waits for its ack.
    expect(plan.settled).toEqual([29, 31, 35]);
    expect(plan.readingsCursor).toBe(40);
  });

  it('a 200 never moves a cursor back; a 409 rewinds every lane the hub holds less of', () => {
    const acked = { alarm: 0, health: 25, readings: 12, bulk: 0 };
    expect(planAcks({ status: 'stored', acked, cursors, folded: [] }).rewinds).toEqual([]);
    const plan = planAcks({ status: 'conflict', acked, cursors, folded: [31] });
    expect(plan.rewinds).toEqual([
      { lane: 'alarm', seq: 0 },
      { lane: 'readings', seq: 12 },
      { lane: 'bulk', seq: 0 },
    ]);
    expect(plan.acks).toEqual([{ lane: 'health', seq: 25 }]);
    expect(plan.readingsCursor).toBe(12);
    // 31 goes again after the rewind: it is still folded-pending.
    expect(plan.settled).toEqual([]);
  });

  it('lanes the hub does not name are left alone', () => {
    expect(planAcks({ status: 'conflict', acked: {}, cursors, folded: [1] })).toEqual({ acks: [], rewinds: [], settled: [1], readingsCursor: 30 });
  });
});

const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

describe('the ingest body', () => {
  it('is {box, dbId, batch, lanes} with the lanes in priority order', () => {
    const text = ingestBodyText({
      box: 'xiaoshan-01',
      dbId: 'db1',
      batch: 7,
      lanes: [
        { lane: 'readings', after: 990, records: [{ seq: 991, kind: 'readings', ts: 1, payload: { readings: [[1, 'river', 1, 2.5, 'good']] } }] },
        { lane: 'alarm', after: 1030, records: [] },
      ],
    });
    expect(text).toBe(
      '{"box":"xiaoshan-01","dbId":"db1","batch":7,"lanes":[{"lane":"alarm","after":1030,"records":[]},{"lane":"readings","after":990,"records":[{"seq":991,"kind":"readings","ts":1,"payload":{"readings":[[1,"river",1,2.5,"good"]]}}]}]}',
    );
  });
});

describe('the hub\'s answers', () => {
  it('reads {acked, hubTime}, ignoring lanes it does not know', () => {
    expect(parseIngestAnswer(bytes({ acked: { alarm: 1041, readings: 1012, other: 3 }, hubTime: 1765000000123 }))).toEqual({
      acked: { alarm: 1041, readings: 1012 },
      hubTime: 1765000000123,
    });
    expect(parseIngestAnswer(bytes({ acked: {} }))).toEqual({ acked: {} });
  });

  it('refuses what is not an answer', () => {
    for (const bad of ['', 'null', '[]', '{"acked":null}', '{"acked":{"alarm":-1}}', '{"acked":{"alarm":1.5}}', '{"acked":{"alarm":"7"}}', '\xff']) {
      expect(parseIngestAnswer(bytes(bad)), bad).toBeUndefined();
    }
  });

  it('reads a refusal code', () => {
    expect(refusalCode(bytes({ error: { code: 'too_old' } }))).toBe('too_old');
    expect(refusalCode(bytes({ error: 'x' }))).toBeUndefined();
    expect(refusalCode(bytes('not json'))).toBeUndefined();
  });

  it('reads Retry-After as seconds or a date, within a day', () => {
    expect(retryAfterMs('10', 0)).toBe(10_000);
    expect(retryAfterMs(' 0 ', 0)).toBe(0);
    expect(retryAfterMs('999999', 0)).toBe(86_400_000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:05 GMT', 1_000)).toBe(4_000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
});

const body = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const answer = body({ acked: { alarm: 3 }, hubTime: 5 });

describe('classifyAnswer', () => {
  it('believes a signed 200 or 409 with marks', () => {
    expect(classifyAnswer({ status: 200, body: answer })).toEqual({ kind: 'stored', answer: { acked: { alarm: 3 }, hubTime: 5 } });
    expect(classifyAnswer({ status: 409, body: answer })).toMatchObject({ kind: 'conflict' });
    expect(classifyAnswer({ status: 200, body: body({ ok: true }) })).toEqual({ kind: 'bad_answer', status: 200 });
  });

  it('never acts on an unsigned answer, except to send less or later', () => {
    expect(classifyAnswer({ status: 200, unverified: 'bad_signature', body: answer })).toEqual({ kind: 'unverified', status: 200, reason: 'bad_signature' });
    expect(classifyAnswer({ status: 401, unverified: 'missing_component', body: body({ error: { code: 'too_old' } }) })).toMatchObject({ kind: 'unverified' });
    expect(classifyAnswer({ status: 413, unverified: 'missing_component', body: new Uint8Array() })).toEqual({ kind: 'too_large', signed: false });
    expect(classifyAnswer({ status: 503, unverified: 'missing_component', body: new Uint8Array() })).toEqual({ kind: 'busy', status: 503, signed: false });
  });

  it('tells a clock refusal from other refusals', () => {
    expect(classifyAnswer({ status: 401, body: body({ error: { code: 'from_future' } }) })).toEqual({ kind: 'clock', code: 'from_future' });
    expect(classifyAnswer({ status: 401, body: body({ error: { code: 'bad_signature' } }) })).toEqual({ kind: 'refused', status: 401, code: 'bad_signature' });
    expect(classifyAnswer({ status: 403, body: body({ error: { code: 'revoked' } }) })).toEqual({ kind: 'refused', status: 403, code: 'revoked' });
    expect(classifyAnswer({ status: 500, body: body({ error: { code: 'internal' } }) })).toEqual({ kind: 'server', status: 500, code: 'internal' });
    expect(classifyAnswer({ status: 302, body: new Uint8Array() })).toEqual({ kind: 'bad_answer', status: 302 });
  });
});

describe('outcomeEffects', () => {
  it('halves the target for what may be the link\'s fault, not for refusals or a refused connection', () => {
    expect(outcomeEffects({ kind: 'network', failure: 'timeout', message: '' })).toEqual({ failure: true, halveTarget: true, hubRefusedBox: false });
    expect(outcomeEffects({ kind: 'network', failure: 'refused', message: '' }).halveTarget).toBe(false);
    expect(outcomeEffects({ kind: 'server', status: 502 }).halveTarget).toBe(true);
    expect(outcomeEffects({ kind: 'refused', status: 403 })).toEqual({ failure: true, halveTarget: false, hubRefusedBox: true });
    expect(outcomeEffects({ kind: 'too_large', signed: true })).toEqual({ failure: false, halveTarget: true, hubRefusedBox: false });
    expect(outcomeEffects({ kind: 'busy', status: 429, signed: true }).halveTarget).toBe(false);
    expect(describeOutcome({ kind: 'network', failure: 'reset', message: 'socket hang up' })).toBe('reset: socket hang up');
  });
});

const base: ResendInput = {
  kept: { lanes: [{ lane: 'alarm', after: 3 }, { lane: 'readings', after: 40 }], uncompressedBytes: 60_000, deliveries: 1 },
  cursors: { alarm: 3, health: 0, readings: 40, bulk: 0 },
  alarmWaitingBeyond: false,
  overBudget: false,
  targetBytes: 32_768,
};

describe('resendDecision', () => {
  it('sends a request that timed out once again unchanged, even over the halved target', () => {
    expect(resendDecision(base)).toEqual({ resend: true });
    expect(resendDecision({ ...base, kept: { ...base.kept, deliveries: 0 } })).toEqual({ resend: true });
  });

  it('rebuilds after a second delivery that failed when it is over the target', () => {
    expect(resendDecision({ ...base, kept: { ...base.kept, deliveries: 2 } })).toEqual({ resend: false, why: 'too_large' });
    expect(resendDecision({ ...base, kept: { ...base.kept, deliveries: 2 }, targetBytes: 60_000 })).toEqual({ resend: true });
  });

  it('rebuilds when a lane moved, an alarm waits that it lacks, or the budget is spent', () => {
    expect(resendDecision({ ...base, cursors: { ...base.cursors, readings: 12 } })).toEqual({ resend: false, why: 'lane_moved' });
    expect(resendDecision({ ...base, alarmWaitingBeyond: true })).toEqual({ resend: false, why: 'alarm_waiting' });
    expect(resendDecision({ ...base, overBudget: true })).toEqual({ resend: false, why: 'over_budget' });
    expect(resendDecision({ ...base, overBudget: true, kept: { ...base.kept, lanes: [{ lane: 'alarm', after: 3 }] } })).toEqual({ resend: true });
  });
});

const up: LinkFacts = { enrolled: true, failures: 0, refused: false, everUp: true, overBudget: false };

describe('linkState', () => {
  it('names the link', () => {
    expect(linkState(up)).toBe('up');
    expect(linkState({ ...up, enrolled: false, failures: 5 })).toBe('not_enrolled');
    expect(linkState({ ...up, overBudget: true })).toBe('over_budget');
    expect(linkState({ ...up, failures: 1 })).toBe('backoff');
    expect(linkState({ ...up, failures: DOWN_AFTER_FAILURES })).toBe('down');
    expect(linkState({ ...up, failures: 1, refused: true })).toBe('down');
    expect(linkState({ ...up, failures: 1, overBudget: true })).toBe('backoff');
    expect(linkState({ ...up, everUp: false })).toBe('down');
    expect(linkState({ ...up, everUp: false, overBudget: true })).toBe('over_budget');
  });
});

describe('bytes on the wire', () => {
  it('counts the request line, each field and the blank line', () => {
    const head = 'POST /api/v1/sync/ingest HTTP/1.1\r\nhost: hub.example:8470\r\ncontent-length: 12\r\n\r\n';
    expect(requestHeadBytes('POST', '/api/v1/sync/ingest', { host: 'hub.example:8470', 'content-length': '12' })).toBe(Buffer.byteLength(head));
  });

  it('counts the status line and the raw fields of an answer', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n';
    expect(responseHeadBytes('1.1', 200, 'OK', ['Content-Type', 'application/json', 'Content-Length', '40'])).toBe(Buffer.byteLength(head));
  });
});

describe('pacing', () => {
  it('slices a tenth of a second at the cap, at least 512 bytes', () => {
    expect(sliceBytes(64)).toBe(800);
    expect(sliceBytes(8)).toBe(512);
    expect(durationAtRate(8_000, 64)).toBe(1_000);
    expect(paceWaitMs(8_000, 400, 64)).toBe(600);
    expect(paceWaitMs(8_000, 1_400, 64)).toBe(0);
  });
});
