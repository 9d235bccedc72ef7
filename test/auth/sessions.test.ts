import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../node-daemon/core/log.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { SessionStore } from '../../node-daemon/auth/sessions.js';
import { UserStore } from '../../node-daemon/auth/users.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A real SQLite file with two users, and a session store on a clock the test moves. */
async function fixture(): Promise<{ sessions: SessionStore; users: UserStore; advance(ms: number): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-sessions-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { db } = openDatabase({ dataDir: dir, log: silentLogger() });
  cleanups.push(() => db.close());
  let now = 1_700_000_000_000;
  const clock = (): number => now;
  const users = new UserStore(db, clock, { log2N: 10, r: 8, p: 1 });
  await users.create({ name: 'admin', password: 'river-rises-at-dawn', role: 'admin' });
  await users.create({ name: 'duty', password: 'night-shift-on-river', role: 'operator' });
  const sessions = new SessionStore(db, clock, { idleMs: 60_000, absoluteMs: 600_000, touchEveryMs: 10_000 });
  return { sessions, users, advance: (ms) => void (now += ms) };
}

describe('SessionStore.isLive', () => {
  it('is true for a live session and false once it is logged out or its user changed password', async () => {
    const { sessions } = await fixture();
    const a = sessions.create('duty').session;
    const b = sessions.create('duty').session;
    const admin = sessions.create('admin').session;
    expect([sessions.isLive(a.idHash), sessions.isLive(b.idHash)]).toEqual([true, true]);
    sessions.deleteByHash(a.idHash);
    expect(sessions.isLive(a.idHash)).toBe(false);
    expect(sessions.deleteForUser('duty')).toBe(1);
    expect(sessions.isLive(b.idHash)).toBe(false);
    expect(sessions.isLive(admin.idHash)).toBe(true);
    expect(sessions.isLive('no-such-hash')).toBe(false);
  });

  it('is false once the user is deleted', async () => {
    const { sessions, users } = await fixture();
    const s = sessions.create('duty').session;
    expect(users.delete('duty')).toBe('deleted');
    expect(sessions.isLive(s.idHash)).toBe(false);
  });

  it('is false once the session expires (idle or absolute), and never keeps a session alive itself', async () => {
    const { sessions, advance } = await fixture();
    const idle = sessions.create('duty');
    advance(59_999);
    expect(sessions.isLive(idle.session.idHash)).toBe(true);
    advance(1);
    // Asking did not touch it: idle since sign-in, so it has ended.
    expect(sessions.isLive(idle.session.idHash)).toBe(false);

    const busy = sessions.create('duty');
    // Used every 50 s (so never idle) up to 550 s after sign-in; the absolute limit is 600 s.
    for (let i = 0; i < 11; i++) {
      advance(50_000);
      expect(sessions.lookup(busy.id)).toBeDefined();
    }
    expect(sessions.isLive(busy.session.idHash)).toBe(true);
    advance(50_000);
    expect(sessions.isLive(busy.session.idHash)).toBe(false);
  });
});
