// Issue 10 item 2, the console way in: `fenghuo users reset-password NAME` run on the box (the real CLI, spawned)
// against the data dir of the running daemon (spawned too) sets the password and ends that user's sessions.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHttpYaml } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { httpFrom, runCli, startDaemonAt, type RunningDaemon } from './security-harness.js';

const ADMIN = { name: 'admin', password: 'flood-watch-admin-1' };
const OPERATOR = { name: '值班员', password: 'operator-pass-1' };

describe('fenghuo users reset-password', () => {
  const tmp = tempDir('fenghuo-reset-');
  const dataDir = join(tmp.dir, 'data');
  let daemon: RunningDaemon;
  const login = (name: string, password: string): ReturnType<typeof httpFrom> =>
    httpFrom('127.0.0.1', `${daemon.url}/api/v1/auth/login`, { json: { name, password } });
  const cookieOf = (res: Awaited<ReturnType<typeof httpFrom>>): string => res.headers['set-cookie']![0]!.split(';')[0]!;

  beforeAll(async () => {
    await ensureDistBuilt();
    const configFile = join(tmp.dir, 'site.yaml');
    writeFileSync(configFile, testHttpYaml());
    daemon = await startDaemonAt({ host: '127.0.0.1', configFile, dataDir });
    const setup = await httpFrom('127.0.0.1', `${daemon.url}/api/v1/auth/setup`, { json: ADMIN });
    expect(setup.status, setup.text).toBe(201);
    const body = setup.json<{ csrfToken: string }>();
    const created = await httpFrom('127.0.0.1', `${daemon.url}/api/v1/users`, {
      json: { ...OPERATOR, role: 'operator' },
      headers: { cookie: cookieOf(setup), 'x-csrf-token': body.csrfToken },
    });
    expect(created.status, created.text).toBe(201);
  });

  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
  });

  it('sets the new password from stdin and ends the user\'s sessions, while the daemon runs', async () => {
    const before = await login(OPERATOR.name, OPERATOR.password);
    expect(before.status).toBe(200);
    const cookie = cookieOf(before);
    expect((await httpFrom('127.0.0.1', `${daemon.url}/api/v1/alarms`, { headers: { cookie } })).status).toBe(200);

    const res = await runCli(['users', 'reset-password', OPERATOR.name, '--stdin', '--data', dataDir], 'a-brand-new-pass\n');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/password of 值班员 set; 1 session ended/);

    expect((await httpFrom('127.0.0.1', `${daemon.url}/api/v1/alarms`, { headers: { cookie } })).status).toBe(401);
    expect((await login(OPERATOR.name, OPERATOR.password)).status).toBe(401);
    expect((await login(OPERATOR.name, 'a-brand-new-pass')).status).toBe(200);
    expect(res.stdout).not.toContain('a-brand-new-pass');
  });

  it('an unknown name: a clear message and exit 2; nothing changes', async () => {
    const res = await runCli(['users', 'reset-password', 'nobody', '--stdin', '--data', dataDir], 'whatever-pass-1\n');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no user "nobody"');
    expect((await login(ADMIN.name, ADMIN.password)).status).toBe(200);
  });

  it('refuses a password the API would refuse, a missing name, a data dir without a database, and a non-TTY without --stdin', async () => {
    const short = await runCli(['users', 'reset-password', ADMIN.name, '--stdin', '--data', dataDir], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 8 characters/);
    expect((await login(ADMIN.name, ADMIN.password)).status).toBe(200);

    expect((await runCli(['users', 'reset-password', '--stdin', '--data', dataDir], 'x-long-password\n')).code).toBe(2);

    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const noDb = await runCli(['users', 'reset-password', ADMIN.name, '--stdin', '--data', empty], 'x-long-password\n');
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain(`no database at ${join(empty, 'fenghuo.db')}`);

    const noTty = await runCli(['users', 'reset-password', ADMIN.name, '--data', dataDir], 'x-long-password\n');
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('--stdin');
  });
});
