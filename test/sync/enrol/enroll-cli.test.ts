// Issue 12: `fenghuo enroll` end to end through the real CLI (bin/fenghuo.js → dist/node-daemon/cli.js) against the
// hub app on loopback (SQLite in a temp dir), with the code made by `fenghuo hub enrol-code` on the same database;
// then the box's files sign an ingest the hub accepts.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDistBuilt } from '../../helpers/dist-build.js';
import { loadEnrolment } from '../../../node-daemon/sync/enrol/files.js';
import { exportPublicKeyPem, keyFingerprint, publicKeyToRaw, SigningKey } from '../../../node-daemon/sync/protocol/index.js';
import { fenghuo } from '../../hub/http/cli-runner.js';
import { boxRequest, healthRecord, send, startHub, type TestHub } from '../../hub/http/hub-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'fenghuo-enrol-'));
const dbPath = join(tmp, 'hub-data', 'hub.db');
const hubConfig = join(tmp, 'hub.yaml');
let hub: TestHub;

beforeAll(async () => {
  await ensureDistBuilt();
  writeFileSync(hubConfig, `store:\n  sqlite: ${dbPath}\n`);
  hub = await startHub({ dbPath });
}, 300_000);
afterAll(async () => {
  await hub?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function code(box?: string): Promise<string> {
  const r = await fenghuo(tmp, 'hub', 'enrol-code', '--config', hubConfig, ...(box === undefined ? [] : ['--box', box]));
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('fenghuo enroll', () => {
  const data = join(tmp, 'box-data');

  it('enrols the box: key 0600, county key and enrolment written, only the fingerprint printed', async () => {
    const c = await code('xiaoshan-01');
    const r = await fenghuo(tmp, 'enroll', '--hub', hub.url, '--code', c, '--data', data);
    expect(r.code, r.stderr).toBe(0);
    const sync = join(data, 'sync');
    expect(readdirSync(sync).sort()).toEqual(['box.key', 'county.pub', 'enrolment.json']);
    expect(mode(sync)).toBe(0o700);
    for (const f of ['box.key', 'county.pub', 'enrolment.json']) expect(mode(join(sync, f)), f).toBe(0o600);

    const pem = readFileSync(join(sync, 'box.key'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = SigningKey.fromPem('xiaoshan-01', pem);
    expect(r.stdout).toContain(`box key fingerprint: ${key.fingerprint}`);
    for (const line of pem.split('\n').filter((l) => l.length > 20)) {
      expect(r.stdout + r.stderr).not.toContain(line);
    }
    expect(r.stdout + r.stderr).not.toContain(publicKeyToRaw(key.publicKey));

    expect((await hub.store.getBox('xiaoshan-01'))?.publicKey).toBe(publicKeyToRaw(key.publicKey));
    expect(readFileSync(join(sync, 'county.pub'), 'utf8')).toBe(exportPublicKeyPem(hub.countyKey.publicKey));
    const record = JSON.parse(readFileSync(join(sync, 'enrolment.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toEqual({
      hub: hub.url,
      boxId: 'xiaoshan-01',
      countyKeyId: 'county-test',
      enrolledAt: expect.any(Number),
      boxKeyFingerprint: key.fingerprint,
      countyKeyFingerprint: keyFingerprint(hub.countyKey.publicKey),
    });
    expect(Math.abs((record.enrolledAt as number) - Date.now())).toBeLessThan(60_000);
  });

  it('gives the box what it needs to sync: its files sign an ingest the hub accepts, and verify the answer', async () => {
    const e = loadEnrolment(data);
    expect(e?.record.boxId).toBe('xiaoshan-01');
    if (e === undefined) return;
    const a = await send({ countyKey: { keyid: e.record.countyKeyId, publicKey: e.countyKey } as SigningKey }, await boxRequest(e.record.hub, e.boxKey, { box: 'xiaoshan-01', lanes: [{ lane: 'health', after: 0, records: [healthRecord(1)] }] }));
    expect({ status: a.status, acked: a.json.acked?.health, signed: a.signature.ok }).toEqual({ status: 200, acked: 1, signed: true });
  });

  it('refuses to overwrite an enrolment without --force (exit 2, files untouched), and replaces it with --force', async () => {
    const before = readFileSync(join(data, 'sync', 'box.key'), 'utf8');
    const c = await code();
    const r = await fenghuo(tmp, 'enroll', '--hub', hub.url, '--code', c, '--box', 'xiaoshan-02', '--data', data);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already enrolled as xiaoshan-01');
    expect(readFileSync(join(data, 'sync', 'box.key'), 'utf8')).toBe(before);

    const forced = await fenghuo(tmp, 'enroll', '--hub', hub.url, '--code', c, '--box', 'xiaoshan-02', '--data', data, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(data, 'sync', 'box.key'), 'utf8')).not.toBe(before);
    expect(loadEnrolment(data)?.record.boxId).toBe('xiaoshan-02');
    expect(readdirSync(join(data, 'sync')).sort()).toEqual(['box.key', 'county.pub', 'enrolment.json']);
  });

  it('keeps nothing when the hub refuses (used code: exit 1) and says why', async () => {
    const c = await code('xiaoshan-03');
    const fresh = join(tmp, 'box-3');
    expect((await fenghuo(tmp, 'enroll', '--hub', hub.url, '--code', c, '--data', fresh)).code).toBe(0);
    const other = join(tmp, 'box-3b');
    const r = await fenghuo(tmp, 'enroll', '--hub', hub.url, '--code', c, '--data', other);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the code has already been used');
    expect(readdirSync(join(other, 'sync'))).toEqual([]);
    expect(hub.logs.filter((l) => l.event === 'hub.refused').at(-1)).toMatchObject({ reason: 'code_used', keyid: 'xiaoshan-03' });
  });

  it('checks its command line: exit 2', async () => {
    const c = await code('bound-box');
    const cases: Array<[string[], RegExp]> = [
      [['enroll', '--code', c], /needs --hub/],
      [['enroll', '--hub', hub.url], /needs --code/],
      [['enroll', '--hub', `${hub.url}/prefix`, '--code', c], /without a path/],
      [['enroll', '--hub', 'ftp://x', '--code', c], /only http/],
      [['enroll', '--hub', hub.url, '--code', 'not-a-code'], /not an enrolment code/],
      [['enroll', '--hub', hub.url, '--code', c, '--box', 'other-box'], /this code is for box bound-box/],
      [['enroll', '--hub', hub.url, '--code', c.slice(c.indexOf(':') + 1)], /--box ID is needed/],
      [['enroll', '--hub', hub.url, '--code', c, '--bogus'], /Unknown option/],
    ];
    for (const [args, says] of cases) {
      const r = await fenghuo(tmp, ...args, '--data', join(tmp, 'never'));
      expect({ args: args.join(' '), code: r.code }).toEqual({ args: args.join(' '), code: 2 });
      expect(r.stderr).toMatch(says);
    }
    expect(existsSync(join(tmp, 'never', 'sync', 'box.key'))).toBe(false);
  });

  it('keeps nothing when the hub cannot be reached, or answers unsigned (exit 1)', async () => {
    const c = await code();
    const gone = await fenghuo(tmp, 'enroll', '--hub', 'http://127.0.0.1:9', '--code', c, '--box', 'lonely-1', '--data', join(tmp, 'lonely'));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('cannot reach the hub at http://127.0.0.1:9');
    expect(readdirSync(join(tmp, 'lonely', 'sync'))).toEqual([]);

    // Something that answers like a hub but does not hold the county key it names.
    const fake: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ boxId: 'lonely-2', countyPublicKey: publicKeyToRaw(SigningKey.generate('x').publicKey), countyKeyId: 'county', hubTime: Date.now() }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const port = (fake.address() as { port: number }).port;
      const r = await fenghuo(tmp, 'enroll', '--hub', `http://127.0.0.1:${port}`, '--code', c, '--box', 'lonely-2', '--data', join(tmp, 'fooled'));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('not signed by the county key');
      expect(readdirSync(join(tmp, 'fooled', 'sync'))).toEqual([]);
    } finally {
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });
});
