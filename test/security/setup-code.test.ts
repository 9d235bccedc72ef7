// Issue 10 item 3: first-run setup from beyond loopback needs the one-time setup code the daemon logs at start and
// `fenghuo setup-code` prints on the box. The real daemon (spawned) listens on an address of this machine outside
// 127.0.0.0/8 and the client connects from that address, so the daemon sees a non-loopback client without any
// test-only switch; a second daemon on 127.0.0.1 shows that loopback needs no code.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHttpYaml } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { httpFrom, nonLoopbackAddress, runCli, startDaemonAt, type HttpAnswer, type RunningDaemon } from './security-harness.js';

const ADMIN = { name: 'admin', password: 'flood-watch-admin-1' };
const lan = await nonLoopbackAddress();
if (typeof lan === 'string') console.warn(`setup-code.test.ts: the LAN-client tests are skipped: ${lan}`);

interface ErrorAnswer {
  error: { code: string; message: string; retryAfterMs?: number };
}

describe.skipIf(typeof lan === 'string')('first-run setup from the LAN needs the setup code', () => {
  const tmp = tempDir('fenghuo-setup-code-');
  const dataDir = join(tmp.dir, 'data');
  let daemon: RunningDaemon;
  let from: string;
  const setup = (body: Record<string, unknown>): Promise<HttpAnswer> => httpFrom(from, `${daemon.url}/api/v1/auth/setup`, { json: body });

  beforeAll(async () => {
    if (typeof lan === 'string') return;
    from = lan.address;
    await ensureDistBuilt();
    const configFile = join(tmp.dir, 'site.yaml');
    writeFileSync(configFile, testHttpYaml());
    daemon = await startDaemonAt({ host: from, configFile, dataDir });
  });

  afterAll(async () => {
    await daemon?.stop();
    if (typeof lan !== 'string') await lan.release();
    tmp.cleanup();
  });

  it('logs a one-time code and a warning that the box listens with no users; `fenghuo setup-code` prints the code from a 0600 file', async () => {
    const logged = daemon.events('auth.setup_code');
    expect(logged).toHaveLength(1);
    const code = String(logged[0]!.code);
    expect(code).toMatch(/^\d{8}$/);
    const warned = daemon.events('auth.no_users');
    expect(warned.length).toBeGreaterThanOrEqual(1);
    expect(warned[0]).toMatchObject({ level: 'warn' });

    const cli = await runCli(['setup-code', '--data', dataDir]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout.trim()).toBe(code);
    expect(statSync(join(dataDir, 'setup-code')).mode & 0o777).toBe(0o600);
  });

  it('from a LAN address: the state asks for the code; no code or a wrong one is 403, guessing is slowed down, the right code makes the admin', async () => {
    const state = await httpFrom(from, `${daemon.url}/api/v1/auth/state`);
    expect(state.json()).toEqual({ setupRequired: true, setupCodeRequired: true });

    const none = await setup(ADMIN);
    expect(none.status, none.text).toBe(403);
    expect(none.json<ErrorAnswer>().error.code).toBe('setup_code');
    expect(none.json<ErrorAnswer>().error.message).toMatch(/fenghuo setup-code/);

    const code = (await runCli(['setup-code', '--data', dataDir])).stdout.trim();
    const wrong = code === '00000000' ? '00000001' : '00000000';
    // `none` was the first failure of this address; four more wrong codes are free, the next one starts a delay.
    for (let i = 0; i < 4; i++) expect((await setup({ ...ADMIN, setupCode: wrong })).status).toBe(403);
    const slowed = await setup({ ...ADMIN, setupCode: wrong });
    expect(slowed.status).toBe(403);
    expect(slowed.json<ErrorAnswer>().error.retryAfterMs).toBe(1_000);
    const refused = await setup({ ...ADMIN, setupCode: code });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    await daemon.waitForEvent('auth.setup_refused', (e) => e.reason === 'rate_limited' && e.address === from);
    expect(daemon.events('auth.setup_refused').map((e) => e.reason)).toEqual(['no_code', 'wrong_code', 'wrong_code', 'wrong_code', 'wrong_code', 'wrong_code', 'rate_limited']);
    expect(await (await httpFrom(from, `${daemon.url}/api/v1/auth/state`)).json()).toMatchObject({ setupRequired: true });

    await new Promise((r) => setTimeout(r, 1_050));
    const made = await setup({ ...ADMIN, setupCode: code.replace(/^(\d{4})/, '$1 ') });
    expect(made.status, made.text).toBe(201);
    expect(made.json()).toMatchObject({ user: { name: ADMIN.name, role: 'admin' } });
    await daemon.waitForEvent('auth.setup');
    expect(daemon.events('auth.setup')).toEqual([expect.objectContaining({ level: 'info', user: ADMIN.name, address: from, setupCode: true })]);

    // One time only: the file is gone and the CLI says why.
    expect(existsSync(join(dataDir, 'setup-code'))).toBe(false);
    const after = await runCli(['setup-code', '--data', dataDir]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('set up already');
    expect(await (await httpFrom(from, `${daemon.url}/api/v1/auth/state`)).json()).toEqual({ setupRequired: false });
  });
});

describe('first-run setup from loopback needs no code', () => {
  const tmp = tempDir('fenghuo-setup-lo-');
  let daemon: RunningDaemon;

  beforeAll(async () => {
    await ensureDistBuilt();
    const configFile = join(tmp.dir, 'site.yaml');
    writeFileSync(configFile, testHttpYaml());
    daemon = await startDaemonAt({ host: '127.0.0.1', configFile, dataDir: join(tmp.dir, 'data') });
  });

  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
  });

  it('listening on loopback: the code is logged but not asked of a loopback client, and there is no no-users warning', async () => {
    expect(daemon.events('auth.setup_code')).toHaveLength(1);
    expect(daemon.events('auth.no_users')).toEqual([]);
    const state = await httpFrom('127.0.0.1', `${daemon.url}/api/v1/auth/state`);
    expect(state.json()).toEqual({ setupRequired: true }); // setupCodeRequired only appears (true) when a code is asked
    // A request a proxy on the box forwarded (it names the real client) is not taken for a local one.
    const proxied = await httpFrom('127.0.0.1', `${daemon.url}/api/v1/auth/setup`, { json: ADMIN, headers: { 'x-forwarded-for': '192.0.2.7' } });
    expect(proxied.status).toBe(403);
    const made = await httpFrom('127.0.0.1', `${daemon.url}/api/v1/auth/setup`, { json: ADMIN });
    expect(made.status, made.text).toBe(201);
    await daemon.waitForEvent('auth.setup');
    expect(daemon.events('auth.setup')).toEqual([expect.objectContaining({ user: ADMIN.name, address: '127.0.0.1', setupCode: false })]);
  });
});
