// Issue 12: `fenghuo hub`, `fenghuo hub enrol-code`, `fenghuo hub revoke` through the real launcher (bin/fenghuo.js →
// dist/hub/cli.js): bad configuration (exit 2, the exact key), a running hub with its county key made on first start
// (0600), codes, revocation.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDistBuilt } from '../../helpers/dist-build.js';
import { publicKeyFromRaw, publicKeyToRaw, SigningKey } from '../../../node-daemon/sync/protocol/index.js';
import { CountyKeyError, loadOrCreateCountyKey } from '../../../hub/county-key.js';
import { fenghuo, freePort, root, startHubProcess } from './cli-runner.js';
import { boxRequest, healthRecord, send } from './hub-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'fenghuo-hub-cli-'));

beforeAll(() => ensureDistBuilt(), 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fenghuo hub: configuration', () => {
  it('refuses a bad config file naming the exact key and why: exit 2, nothing started', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'listen: 0.0.0.0:8470\nstore:\n  postgres: mysql://root:hunter2@db/x\nlimits:\n  maxDecompressedBytes: many\n');
    const r = await fenghuo(tmp, 'hub', '--config', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3:3: error: store.postgres: is not a PostgreSQL connection string`);
    expect(r.stderr).toContain(`${file}:5:3: error: limits.maxDecompressedBytes: "many" is text; expected a number`);
    expect(r.stderr).toContain(`fenghuo hub: ${file} is not valid (2 errors); not starting`);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stdout).toBe('');
  });

  it('refuses a missing config file and bad flags: exit 2', async () => {
    const missing = await fenghuo(tmp, 'hub', '--config', join(tmp, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect((await fenghuo(tmp, 'hub', 'enrol-code', '--ttl', '1w')).code).toBe(2);
    expect((await fenghuo(tmp, 'hub', 'enrol-code', '--box', 'Not_An_Id')).code).toBe(2);
    expect((await fenghuo(tmp, 'hub', 'frobnicate')).code).toBe(2);
    expect((await fenghuo(tmp, 'hub', 'revoke')).code).toBe(2);
    const help = await fenghuo(tmp, 'hub', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('fenghuo hub enrol-code [--config FILE] [--box ID] [--ttl 24h]');
  });

  it('is not reachable through the box\'s own CLI module (the launcher dispatches it)', async () => {
    const script = `import(${JSON.stringify(join(root, 'dist/node-daemon/cli.js'))}).then(async (m) => { process.exitCode = await m.main(['hub']); })`;
    const r = await promisify(execFile)(process.execPath, ['-e', script]).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('run the hub through the launcher') });
  });
});

describe('fenghuo hub: running', () => {
  it('makes the county key on first start (0600), serves, hands out codes, revokes boxes, stops on SIGTERM', async () => {
    const dir = join(tmp, 'run');
    const port = await freePort();
    const config = join(tmp, 'hub.yaml');
    writeFileSync(config, `listen: 127.0.0.1:${port}\ndataDir: ${dir}\n`);
    const hub = await startHubProcess(tmp, config);
    try {
      const keyFile = join(dir, 'county.key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      const keyLine = hub.lines.find((l) => l.event === 'hub.county_key_created');
      expect(keyLine).toMatchObject({ keyid: expect.stringMatching(/^county-[0-9a-f]{8}$/) });
      expect(JSON.stringify(hub.lines)).not.toContain('PRIVATE KEY');
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/api/v1/boxes`)).status).toBe(200);

      const made = await fenghuo(tmp, 'hub', 'enrol-code', '--config', config, '--box', 'cli-box-1', '--ttl', '10m');
      expect(made.code).toBe(0);
      const code = made.stdout.trim();
      expect(code).toMatch(/^cli-box-1:[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
      expect(made.stderr).toMatch(/good until \d{4}-\d\d-\d\dT/);

      const key = SigningKey.generate('cli-box-1');
      const enrolled = await fetch(`${url}/api/v1/sync/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, boxId: 'cli-box-1', publicKey: publicKeyToRaw(key.publicKey) }),
      });
      expect(enrolled.status).toBe(200);
      const { countyKeyId, countyPublicKey } = (await enrolled.json()) as { countyKeyId: string; countyPublicKey: string };
      expect(countyKeyId).toBe(keyLine?.keyid);
      expect(countyPublicKey).toBe(keyLine?.publicKey);
      // What a box knows of the county after enrolment: the key id and the public key.
      const county = { countyKey: { keyid: countyKeyId, publicKey: publicKeyFromRaw(countyPublicKey) } as SigningKey };

      const body = { box: 'cli-box-1', lanes: [{ lane: 'health', after: 0, records: [healthRecord(1)] }] };
      const first = await send(county, await boxRequest(url, key, body));
      expect({ status: first.status, signed: first.signature.ok }).toEqual({ status: 200, signed: true });

      const revoked = await fenghuo(tmp, 'hub', 'revoke', 'cli-box-1', '--config', config);
      expect(revoked).toMatchObject({ code: 0, stdout: expect.stringMatching(/^revoked box cli-box-1 at /) });
      const again = await fenghuo(tmp, 'hub', 'revoke', 'cli-box-1', '--config', config);
      expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/already revoked/) });
      expect((await fenghuo(tmp, 'hub', 'revoke', 'no-such-box', '--config', config)).code).toBe(2);

      const after = await send(county, await boxRequest(url, key, body));
      expect({ status: after.status, code: after.json.error?.code, signed: after.signature.ok }).toEqual({ status: 403, code: 'revoked', signed: true });
      expect(hub.lines.find((l) => l.event === 'hub.refused')).toMatchObject({ reason: 'revoked', keyid: 'cli-box-1' });
    } finally {
      expect(await hub.stop()).toBe(0);
    }
    expect(hub.lines.at(-1)).toMatchObject({ event: 'hub.stopped' });

    // Second start: the same key.
    const second = await startHubProcess(tmp, config);
    try {
      expect(second.lines.find((l) => l.event === 'hub.county_key')).toMatchObject({ keyid: hub.lines.find((l) => l.event === 'hub.county_key_created')?.keyid });
    } finally {
      await second.stop();
    }
  });
});

describe('county key file', () => {
  it('refuses a key file others may read, and never quotes it', () => {
    const file = join(tmp, 'k', 'county.key');
    const made = loadOrCreateCountyKey(file);
    expect(made.created).toBe(true);
    expect(loadOrCreateCountyKey(file).key.keyid).toBe(made.key.keyid);
    expect(loadOrCreateCountyKey(file, 'county-2025').key.keyid).toBe('county-2025');
    chmodSync(file, 0o644);
    expect(() => loadOrCreateCountyKey(file)).toThrow(CountyKeyError);
    expect(() => loadOrCreateCountyKey(file)).toThrow(/chmod 600/);
  });
});
