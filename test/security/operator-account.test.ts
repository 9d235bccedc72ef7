// Who did it (issue 10, item 4): every operator action on the real daemon (buildDaemon: SQLite file in a temp dir,
// HTTP on loopback, its auth layer) records the signed-in account, or `token:<id>` for an API token, taken from the
// request's authentication and never from the body. `by` is only a free-text "on behalf of" beside it: stored as
// given, never invented. Checked through the API, in the journal and in the database file itself.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { freePort } from '../../node-daemon/core/free-port.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { tempDir, waitUntil } from '../daemon/daemon-harness.js';
import { bearerHeaders, login, setupFirstAdmin, TEST_API_TOKEN, testApiTokens, type ApiSession } from '../helpers/auth.js';

interface Transition {
  type: string;
  by?: string;
  account?: string;
  note?: string;
}
interface AlarmBody {
  id: number;
  kind: string;
  state: string;
  acknowledgedBy?: string;
  acknowledgedByAccount?: string;
  shelvedUntil?: number;
  transitions: Transition[];
}

const ADMIN = { name: 'Wang.Admin', password: 'river-rises-at-dawn' };
const OP1 = { name: 'op1', password: 'operator-pass-1' };

describe('operator actions record the signed-in account', () => {
  const tmp = tempDir('fenghuo-account-');
  const logLines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void logLines.push(s) } });
  let daemon: Daemon;
  let url: string;
  let admin: ApiSession;
  let op1: ApiSession;

  const events = (name: string): Record<string, unknown>[] =>
    logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name);
  const json = async <T>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };
  const alarm = async (id: number): Promise<AlarmBody> => json<AlarmBody>(await op1.fetch(`/api/v1/alarms/${id}`), 200);
  const last = (a: AlarmBody): Transition => a.transitions[a.transitions.length - 1]!;
  /** The newest stored transition of an alarm, read from the database file (WAL: readable beside the daemon). */
  const storedTransition = (alarmId: number): { type: string; by: string | null; account: string | null } => {
    const db = new Database(join(tmp.dir, 'fenghuo.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT type, "by", account FROM alarm_transitions WHERE alarm_id = ? ORDER BY id DESC LIMIT 1').get(alarmId) as {
        type: string;
        by: string | null;
        account: string | null;
      };
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    // A gauge on a port nobody listens on: its communication-lost fault is an alarm operators may shelve.
    const deadPort = await freePort();
    const config = {
      http: { apiTokens: testApiTokens('operator') },
      buses: [{ id: 'dead', type: 'tcp', host: '127.0.0.1', port: deadPort, timeoutMs: 200, retries: 0 }],
      sensors: [{ id: 'river', bus: 'dead', slave: 1, profile: 'submersible-level', pollIntervalMs: 200 }],
      alarms: {
        sites: [{ id: 'qingshui', name: '清水河站', sensors: ['river'], prepare: { levelM: 5 }, evacuate: { levelM: 8 }, faults: { commLostMs: 1_000 } }],
      },
      outputs: { speakers: [{ id: 'spk-1', device: `file:${join(tmp.dir, 'speaker.wav')}`, rate: 300 }] },
    };
    const parsed = parseConfigText(JSON.stringify(config));
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    daemon = buildDaemon({ config: parsed.config, dataDir: tmp.dir, listen: '127.0.0.1:0', log, clock: systemClock });
    await daemon.start();
    url = daemon.url();
    admin = await setupFirstAdmin(url, ADMIN);
    await json(await admin.fetch('/api/v1/users', { method: 'POST', json: { ...OP1, role: 'operator' } }), 201);
    op1 = await login(url, OP1.name, OP1.password);
  });

  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
  });

  it('op1 acknowledging "on behalf of" 县长: account op1, by 县长, on the transition and on the alarm', async () => {
    const raised = await json<{ alarm: AlarmBody }>(
      await op1.fetch('/api/v1/alarms', { method: 'POST', json: { level: 'prepare', drill: true, by: '县长', title: '汛前演练' } }),
      201,
    );
    const id = raised.alarm.id;
    expect(last(raised.alarm)).toMatchObject({ type: 'raised', account: 'op1', by: '县长' });

    const acked = await json<{ alarm: AlarmBody }>(await op1.fetch(`/api/v1/alarms/${id}/ack`, { method: 'POST', json: { by: '县长', note: '已通知' } }), 200);
    expect(acked.alarm).toMatchObject({ state: 'acknowledged', acknowledgedBy: '县长', acknowledgedByAccount: 'op1' });
    expect(last(acked.alarm)).toEqual(expect.objectContaining({ type: 'acknowledged', account: 'op1', by: '县长', note: '已通知' }));
    // The same when read back, and in the file.
    expect(last(await alarm(id))).toMatchObject({ type: 'acknowledged', account: 'op1', by: '县长' });
    expect(storedTransition(id)).toEqual({ type: 'acknowledged', by: '县长', account: 'op1' });

    const cleared = await json<{ alarm: AlarmBody }>(await op1.fetch(`/api/v1/alarms/${id}/clear`, { method: 'POST', json: { by: '县长' } }), 200);
    expect(last(cleared.alarm)).toMatchObject({ type: 'cleared', account: 'op1', by: '县长' });
  });

  it('without by: account op1 and no by, nothing invented (ack, manual raise, clear)', async () => {
    const raised = await json<{ alarm: AlarmBody }>(await op1.fetch('/api/v1/alarms', { method: 'POST', json: { level: 'evacuate', drill: true } }), 201);
    const id = raised.alarm.id;
    expect(last(raised.alarm)).toEqual(expect.objectContaining({ type: 'raised', account: 'op1' }));
    expect(last(raised.alarm)).not.toHaveProperty('by');

    const acked = await json<{ alarm: AlarmBody }>(await op1.fetch(`/api/v1/alarms/${id}/ack`, { method: 'POST', json: {} }), 200);
    expect(acked.alarm).toMatchObject({ state: 'acknowledged', acknowledgedByAccount: 'op1' });
    expect(acked.alarm).not.toHaveProperty('acknowledgedBy');
    expect(last(acked.alarm)).toMatchObject({ type: 'acknowledged', account: 'op1' });
    expect(last(acked.alarm)).not.toHaveProperty('by');
    expect(storedTransition(id)).toEqual({ type: 'acknowledged', by: null, account: 'op1' });

    // A body's idea of the account is not taken: the account comes from the sign-in only.
    const forged = await op1.fetch(`/api/v1/alarms/${id}/clear`, { method: 'POST', json: { account: 'admin' } });
    expect(forged.status).toBe(400);
    const cleared = await json<{ alarm: AlarmBody }>(await op1.fetch(`/api/v1/alarms/${id}/clear`, { method: 'POST', json: {} }), 200);
    expect(last(cleared.alarm)).toMatchObject({ type: 'cleared', account: 'op1' });
    expect(last(cleared.alarm)).not.toHaveProperty('by');
  });

  it('an API token is recorded as token:<id>: a county alarm and its acknowledgement', async () => {
    const headers = { ...bearerHeaders(`${TEST_API_TOKEN}-operator`), 'content-type': 'application/json' };
    const res = await fetch(`${url}/api/v1/alarms/county`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: 'cty-2024-001', level: 'prepare', title: '县防指 准备转移', issuedAt: Date.now() }),
    });
    const raised = await json<{ alarm: AlarmBody }>(res, 201);
    expect(last(raised.alarm)).toMatchObject({ type: 'raised', account: 'token:test-operator' });
    expect(last(raised.alarm)).not.toHaveProperty('by');
    expect(storedTransition(raised.alarm.id)).toEqual({ type: 'raised', by: null, account: 'token:test-operator' });

    const ack = await fetch(`${url}/api/v1/alarms/${raised.alarm.id}/ack`, { method: 'POST', headers, body: JSON.stringify({ by: '县防指值班室' }) });
    expect((await json<{ alarm: AlarmBody }>(ack, 200)).alarm).toMatchObject({ acknowledgedBy: '县防指值班室', acknowledgedByAccount: 'token:test-operator' });
  });

  it('shelving and unshelving a fault record the account', async () => {
    const fault = await waitUntil(
      async () => (await json<{ alarms: AlarmBody[] }>(await op1.fetch('/api/v1/alarms?state=active'), 200)).alarms.find((a) => a.kind === 'fault'),
      10_000,
      'the communication-lost fault of the dead gauge',
    );
    const shelved = await json<{ alarm: AlarmBody }>(await op1.fetch(`/api/v1/alarms/${fault.id}/shelve`, { method: 'POST', json: { minutes: 30 } }), 200);
    expect(last(shelved.alarm)).toMatchObject({ type: 'shelved', account: 'op1' });
    expect(last(shelved.alarm)).not.toHaveProperty('by');
    const un = await json<{ alarm: AlarmBody }>(await op1.fetch(`/api/v1/alarms/${fault.id}/unshelve`, { method: 'POST', json: { by: '县长' } }), 200);
    expect(last(un.alarm)).toMatchObject({ type: 'unshelved', account: 'op1', by: '县长' });
    // The rule's own raise was made by no one.
    expect(un.alarm.transitions[0]).toMatchObject({ type: 'raised' });
    expect(un.alarm.transitions[0]).not.toHaveProperty('account');
  });

  it('an announcement records the account (and "on behalf of") in its answer and the journal', async () => {
    const res = await json<{ key: string; account?: string }>(
      await op1.fetch('/api/v1/broadcast/speak', { method: 'POST', json: { text: '请注意，今晚有大雨。', by: '县长' } }),
      202,
    );
    expect(res.account).toBe('op1');
    const line = events('station.announce').find((e) => e.key === res.key);
    expect(line).toMatchObject({ account: 'op1', by: '县长' });

    const token = await fetch(`${url}/api/v1/broadcast/speak`, {
      method: 'POST',
      headers: { ...bearerHeaders(`${TEST_API_TOKEN}-operator`), 'content-type': 'application/json' },
      body: JSON.stringify({ text: '测试' }),
    });
    const tokenBody = await json<{ key: string; account?: string }>(token, 202);
    expect(tokenBody.account).toBe('token:test-operator');
    const tokenLine = events('station.announce').find((e) => e.key === tokenBody.key);
    expect(tokenLine).toMatchObject({ account: 'token:test-operator' });
    expect(tokenLine).not.toHaveProperty('by');
  });

  it('a settings change records the account in the audit log', async () => {
    const current = (await json<{ alarms: unknown }>(await admin.fetch('/api/v1/settings'), 200)).alarms;
    const put = await json<{ auditId: number }>(await admin.fetch('/api/v1/settings/alarms', { method: 'PUT', json: current }), 200);
    const audit = await json<{ entries: { id: number; by: string; account?: string }[] }>(await admin.fetch('/api/v1/audit'), 200);
    expect(audit.entries.find((e) => e.id === put.auditId)).toMatchObject({ by: ADMIN.name, account: ADMIN.name });

    const byToken = await fetch(`${url}/api/v1/settings/alarms`, {
      method: 'PUT',
      headers: { ...bearerHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify(current),
    });
    const tokenPut = await json<{ auditId: number }>(byToken, 200);
    const again = await json<{ entries: { id: number; by: string; account?: string }[] }>(await admin.fetch('/api/v1/audit'), 200);
    expect(again.entries.find((e) => e.id === tokenPut.auditId)).toMatchObject({ by: 'token:test', account: 'token:test' });
  });
});
