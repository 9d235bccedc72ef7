// Issue 12: the hub's small parts on their own (they do I/O-free work but live outside the pure list, so their tests
// live here): the nonce stores, decompression caps, the ingest body schema, the enrolment code, the hub config.
import { promisify } from 'node:util';
import { brotliCompress, gzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatProblems } from '../../../node-daemon/config/format-problems.js';
import { formatEnrolCode, generateEnrolCode, parseEnrolCode } from '../../../node-daemon/sync/enrol/code.js';
import { parseTtl } from '../../../hub/cli.js';
import { parseHubConfigText, describeStore, defaultHubConfig } from '../../../hub/config.js';
import { decompressBody } from '../../../hub/http/decompress.js';
import { checkIngestBody } from '../../../hub/http/ingest-schema.js';
import { MemoryNonceStore, TableNonceStore, type NonceTable } from '../../../hub/http/nonce-store.js';
import { requestUrl } from '../../../hub/http/request-url.js';
import { alarmRecord, healthRecord, readingsRecord } from './hub-fixture.js';

const NOW = 1_765_000_000_000;
const clock = (): number => NOW;
const fresh = (nonce: string, keyid = 'box-1', created = NOW / 1000) => ({ keyid, nonce, created });

/** What a database table with UNIQUE (keyid, nonce) does, shared by two hub processes. */
class FakeTable implements NonceTable {
  readonly rows = new Map<string, number>();
  async remember(e: { keyid: string; nonce: string; expiresAt: number }, now: number, bounds: { maxEntries: number; maxEntriesPerKey: number }) {
    for (const [k, exp] of this.rows) if (exp < now) this.rows.delete(k);
    const key = `${e.keyid}\n${e.nonce}`;
    if (this.rows.has(key)) return 'seen' as const;
    const perKey = [...this.rows.keys()].filter((k) => k.startsWith(`${e.keyid}\n`)).length;
    if (this.rows.size >= bounds.maxEntries || perKey >= bounds.maxEntriesPerKey) return 'full' as const;
    this.rows.set(key, e.expiresAt);
    return 'remembered' as const;
  }
}

describe('nonce stores', () => {
  it('MemoryNonceStore: accepts once, refuses the replay and a stale created', async () => {
    const s = new MemoryNonceStore(clock);
    expect(await s.accept(fresh('nonce-aaaaaaaaaaaaaa'))).toEqual({ ok: true });
    expect((await s.accept(fresh('nonce-aaaaaaaaaaaaaa'))).ok).toBe(false);
    expect(await s.accept(fresh('nonce-bbbbbbbbbbbbbb', 'box-1', NOW / 1000 - 301))).toMatchObject({ ok: false, reason: 'too_old' });
  });

  it('TableNonceStore: two hub processes on one table catch a replay sent to the other', async () => {
    const table = new FakeTable();
    const p1 = new TableNonceStore(table, clock);
    const p2 = new TableNonceStore(table, clock);
    expect(await p1.accept(fresh('nonce-cccccccccccccc'))).toEqual({ ok: true });
    expect(await p2.accept(fresh('nonce-cccccccccccccc'))).toMatchObject({ ok: false, reason: 'replayed' });
    expect(await p2.accept(fresh('nonce-dddddddddddddd', 'box-1', NOW / 1000 + 400))).toMatchObject({ ok: false, reason: 'from_future' });
    expect(table.rows.get('box-1\nnonce-cccccccccccccc')).toBe(NOW + 600_000);
  });

  it('TableNonceStore: a full table refuses (replay_cache_full), never accepts unchecked', async () => {
    const s = new TableNonceStore(new FakeTable(), clock, { maxEntries: 10, maxEntriesPerKey: 2 });
    expect((await s.accept(fresh('nonce-1111111111111111'))).ok).toBe(true);
    expect((await s.accept(fresh('nonce-2222222222222222'))).ok).toBe(true);
    expect(await s.accept(fresh('nonce-3333333333333333'))).toMatchObject({ ok: false, reason: 'replay_cache_full' });
    expect((await s.accept(fresh('nonce-3333333333333333', 'box-2'))).ok).toBe(true);
  });
});

describe('decompressBody', () => {
  it('inflates br and gzip, and stops at the cap', async () => {
    const text = Buffer.from('{"box":"a"}'.repeat(1000));
    for (const [enc, z] of [['br', promisify(brotliCompress)], ['gzip', promisify(gzip)]] as const) {
      const packed = await z(text);
      const ok = await decompressBody(packed, enc, 1 << 20);
      expect(ok.ok && Buffer.from(ok.bytes).equals(text)).toBe(true);
      expect(await decompressBody(packed, enc, 1000)).toMatchObject({ ok: false, reason: 'too_large' });
      expect(await decompressBody(packed.subarray(0, 20), enc, 1 << 20)).toMatchObject({ ok: false, reason: 'bad_encoding' });
    }
    expect(await decompressBody(text, 'deflate', 1 << 20)).toMatchObject({ ok: false, reason: 'unsupported_encoding' });
    expect(await decompressBody(text, undefined, 100)).toMatchObject({ ok: false, reason: 'too_large' });
  });
});

describe('checkIngestBody', () => {
  const ok = { box: 'b-1', dbId: 'd', batch: 3, lanes: [{ lane: 'alarm', after: 0, records: [alarmRecord(2, 1, 1)] }, { lane: 'readings', after: 0, records: [readingsRecord(1, 1, 3)] }] };
  it('takes the documented body (and a readings batch with missing readings)', () => {
    expect(checkIngestBody(JSON.stringify(ok)).ok).toBe(true);
    const partial = { box: 'b-1', lanes: [{ lane: 'bulk', after: 0, records: [{ ...readingsRecord(1, 1, 1), payload: { readings: [], missing: 4 } }] }] };
    expect(checkIngestBody(JSON.stringify(partial)).ok).toBe(true);
    const aggregates = { seq: 5, kind: 'aggregates', ts: 1, payload: { aggregates: [], missing: 9 } };
    expect(checkIngestBody(JSON.stringify({ box: 'b-1', lanes: [{ lane: 'readings', after: 0, records: [aggregates] }] })).ok).toBe(true);
  });
  it('takes an alarm record whose rows the box lost (missing: true), as the box sends it', () => {
    for (const payload of [{ alarmId: 4, transitionId: 9, type: 'cleared', missing: true }, { alarmId: 0, transitionId: 0, type: '', missing: true }]) {
      const body = { box: 'b-1', lanes: [{ lane: 'alarm', after: 0, records: [{ seq: 7, kind: 'alarm', ts: 1, payload }] }] };
      expect(checkIngestBody(JSON.stringify(body)).ok).toBe(true);
    }
  });
  it.each([
    [{ ...ok, lanes: [{ lane: 'readings', after: -1, records: [] }] }, 'lanes.0.after'],
    [{ ...ok, lanes: [{ lane: 'health', after: 0, records: [readingsRecord(1, 1, 1)] }] }, 'lanes.0.records.0.kind'],
    [{ ...ok, lanes: [{ lane: 'health', after: 0, records: [] }, { lane: 'health', after: 0, records: [] }] }, 'lanes.1.lane'],
    [{ ...ok, lanes: [{ lane: 'health', after: 0, records: [{ ...healthRecord(1), extra: 1 }] }] }, 'lanes.0.records.0.extra'],
    [{ ...ok, box: 'Not A Box' }, 'box'],
    [{ ...ok, lanes: [{ lane: 'readings', after: 0, records: [{ ...readingsRecord(1, 1, 1), payload: { readings: [[1, 's', 0, 'high', 'good']] } }] }] }, 'lanes.0.records.0.payload.readings.0.3'],
    [{ ...ok, lanes: [{ lane: 'alarm', after: 0, records: [{ ...alarmRecord(2, 1, 1), payload: { ...(alarmRecord(2, 1, 1).payload as object), alarm: { title: 't' } } }] }] }, 'lanes.0.records.0.payload.alarm.id'],
    [{ ...ok, lanes: [{ lane: 'alarm', after: 0, records: [{ seq: 2, kind: 'alarm', ts: 1, payload: { alarmId: 'x', transitionId: 1, type: 'raised', missing: true } }] }] }, 'lanes.0.records.0.payload.alarmId'],
    [{ ...ok, lanes: [{ lane: 'alarm', after: 0, records: [{ seq: 2, kind: 'alarm', ts: 1, payload: { alarmId: 1, transitionId: 1, type: 'raised', missing: false } }] }] }, 'lanes.0.records.0.payload.missing'],
  ])('names the key path of a problem (%#)', (body, param) => {
    expect(checkIngestBody(JSON.stringify(body))).toMatchObject({ ok: false, param });
  });
});

describe('enrolment codes', () => {
  it('are 20 Crockford characters, optionally bound to a box id, and forgiving to type', () => {
    const c = generateEnrolCode('xiaoshan-01');
    const shown = formatEnrolCode(c);
    expect(shown).toMatch(/^xiaoshan-01:[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(parseEnrolCode(shown)).toEqual(c);
    expect(parseEnrolCode(` xiaoshan-01: ${c.secret.toLowerCase().replace(/(.{4})/g, '$1 ')} `)).toEqual(c);
    expect(parseEnrolCode('0O1IL-00000-00000-00000')?.secret).toBe('00111000000000000000');
    expect(parseEnrolCode('short')).toBeUndefined();
    expect(parseEnrolCode('Bad Id:00000-00000-00000-00000')).toBeUndefined();
    expect(generateEnrolCode().canonical).toMatch(/^[0-9A-HJKMNP-TV-Z]{20}$/);
  });
  it('--ttl takes 1 minute to 30 days', () => {
    expect(parseTtl('24h')).toBe(86_400_000);
    expect(parseTtl('30m')).toBe(1_800_000);
    expect(parseTtl('30d')).toBe(30 * 86_400_000);
    for (const bad of ['31d', '10s', '1w', '', '-1h']) expect(parseTtl(bad)).toBeUndefined();
  });
});

describe('hub config', () => {
  it('defaults: loopback, SQLite and the county key in ./hub-data', () => {
    const c = defaultHubConfig('/srv');
    expect(c).toMatchObject({ listen: '127.0.0.1:8470', dataDir: '/srv/hub-data', store: { kind: 'sqlite', path: '/srv/hub-data/hub.db' }, countyKeyFile: '/srv/hub-data/county.key' });
    expect(parseHubConfigText('# nothing yet\n', '/srv')).toEqual({ ok: true, config: c });
  });

  it('reads postgres and names it in logs without its password', () => {
    const r = parseHubConfigText('store:\n  postgres: postgres://fenghuo:s3cret@db.example:5432/hub\npublicOrigin: https://hub.example/\n', '/srv');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.store).toEqual({ kind: 'postgres', connectionString: 'postgres://fenghuo:s3cret@db.example:5432/hub' });
    expect(r.config.publicOrigin).toBe('https://hub.example');
    expect(describeStore(r.config.store)).toBe('postgres db.example:5432/hub');
  });

  it('names each bad key, why, and where; never quotes a connection string', () => {
    const text = ['listen: 0.0.0.0:99999', 'store:', '  sqlite: ./x.db', '  postgres: postgresx://u:pw@h/x', 'limits:', '  maxBodyBytes: 10', 'lsiten: x', ''].join('\n');
    const r = parseHubConfigText(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = formatProblems(r.problems, { file: 'hub.yaml' });
    expect(lines).toEqual([
      expect.stringMatching(/^hub\.yaml:1:1: error: listen: port 99999 is out of range/),
      'hub.yaml:2:1: error: store: give sqlite: or postgres:, not both',
      expect.stringMatching(/^hub\.yaml:4:3: error: store\.postgres: is not a PostgreSQL connection string/),
      expect.stringMatching(/^hub\.yaml:6:3: error: limits\.maxBodyBytes: 10 is too small; expected at least 4096/),
      'hub.yaml:7:1: error: lsiten: unknown key "lsiten"; did you mean "listen"?',
    ]);
    expect(lines.join('\n')).not.toContain('pw@');
  });
});

describe('requestUrl', () => {
  it('puts the path and query after the public origin, never letting a path name another host', () => {
    const c = { req: { raw: { url: 'http://10.0.0.5:8470//evil.example/api?x=1' } } } as unknown as Parameters<typeof requestUrl>[0];
    expect(requestUrl(c, 'https://hub.example')).toBe('https://hub.example//evil.example/api?x=1');
    expect(new URL(requestUrl(c, 'https://hub.example')).host).toBe('hub.example');
    expect(requestUrl(c)).toBe('http://10.0.0.5:8470//evil.example/api?x=1');
  });
});
