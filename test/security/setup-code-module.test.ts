// The setup-code module on its own (auth/setup-code.ts), with a real SQLite file and real timers (a short warning
// interval instead of 10 minutes): when it makes a code, when it warns, and that it cleans up after itself.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listensOnLoopbackOnly, SetupCode, SETUP_CODE_FILE } from '../../node-daemon/auth/setup-code.js';
import { UserStore } from '../../node-daemon/auth/users.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { tempDir } from '../daemon/daemon-harness.js';

const FAST_COST = { log2N: 10, r: 8, p: 1 };

describe('SetupCode', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  const make = (listen: string): { code: SetupCode; users: UserStore; lines: Record<string, unknown>[]; dir: string; db: Db } => {
    const tmp = tempDir('fenghuo-setup-module-');
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
    const { db } = openDatabase({ dataDir: tmp.dir, log });
    const users = new UserStore(db, systemClock, FAST_COST);
    const code = new SetupCode({ users, log, dataDir: tmp.dir, listen, warnEveryMs: 40 });
    cleanups.push(() => {
      void code.stop();
      db.close();
      tmp.cleanup();
    });
    return { code, users, lines, dir: tmp.dir, db };
  };
  const events = (lines: Record<string, unknown>[], name: string): Record<string, unknown>[] => lines.filter((l) => l.event === name);
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('beyond loopback with no account: a code in a 0600 file, and the warning repeated until the admin exists', async () => {
    const { code, users, lines, dir } = make('0.0.0.0:8080');
    await code.start();
    const file = join(dir, SETUP_CODE_FILE);
    const written = readFileSync(file, 'utf8').trim();
    expect(written).toMatch(/^\d{8}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(events(lines, 'auth.setup_code')).toEqual([expect.objectContaining({ code: written, file })]);
    expect(code.matches(written)).toBe(true);
    expect(code.matches(`${written.slice(0, 4)} ${written.slice(4)}`)).toBe(true);
    expect(code.matches(`${written.slice(0, 4)}-${written.slice(4)}`)).toBe(true);
    expect(code.matches(written.replace(/.$/, (d) => String((Number(d) + 1) % 10)))).toBe(false);
    expect(code.matches(undefined)).toBe(false);

    await sleep(150);
    expect(events(lines, 'auth.no_users').length).toBeGreaterThanOrEqual(3);

    // An account made some other way than POST /auth/setup (the module looks at the table): it stops by itself.
    await users.create({ name: 'admin', password: 'whatever-pass-1', role: 'admin' });
    await sleep(100);
    const warned = events(lines, 'auth.no_users').length;
    await sleep(150);
    expect(events(lines, 'auth.no_users').length).toBe(warned);
    expect(existsSync(file)).toBe(false);
    expect(code.active).toBe(false);
    expect(code.matches(written)).toBe(false);
  });

  it('on loopback only: the code but no warning; stop removes the file', async () => {
    const { code, lines, dir } = make('127.0.0.1:8080');
    await code.start();
    expect(code.active).toBe(true);
    await sleep(100);
    expect(events(lines, 'auth.no_users')).toEqual([]);
    await code.stop();
    expect(existsSync(join(dir, SETUP_CODE_FILE))).toBe(false);
  });

  it('with an account already: no code, and a stale file from before is removed', async () => {
    const { code, users, lines, dir } = make('0.0.0.0:8080');
    await users.create({ name: 'admin', password: 'whatever-pass-1', role: 'admin' });
    writeFileSync(join(dir, SETUP_CODE_FILE), '12345678\n', { mode: 0o600 });
    await code.start();
    expect(code.active).toBe(false);
    expect(code.matches('12345678')).toBe(false);
    expect(existsSync(join(dir, SETUP_CODE_FILE))).toBe(false);
    expect(lines.filter((l) => String(l.event).startsWith('auth.'))).toEqual([]);
  });

  it('tells loopback listen addresses from the others', () => {
    expect(['127.0.0.1:8080', '127.1.2.3:80', '[::1]:8080', 'localhost:8080'].map(listensOnLoopbackOnly)).toEqual([true, true, true, true]);
    expect(['0.0.0.0:8080', '[::]:8080', '192.168.1.20:8080', 'box.local:8080'].map(listensOnLoopbackOnly)).toEqual([false, false, false, false]);
  });
});
