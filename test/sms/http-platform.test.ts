// The carrier HTTP SMS platform (drivers/sms/http-platform.ts), against a local HTTP server that checks the
// HMAC-SHA256 signature the way a platform would, and in the real daemon (test/sms/sms-box.ts) as the `sms`
// transport. Shows: the body carries the templated fields, the signature, timestamp and nonce headers check out;
// form bodies work; a 500 and an error answer are tried again and then recorded failed; a 401 is not tried again.
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSmsPlatform } from '../../drivers/sms/http-platform.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { alarmSms, api, LEADERS, SITE, startBox, type Box } from './sms-box.js';

const SECRET = 'county-shared-secret-7f3a';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly signatureOk: boolean;
}

type Mode = 'ok' | 'http500' | 'errorBody';

async function startPlatform(): Promise<{ url: string; received: Received[]; mode: { current: Mode }; close(): Promise<void> }> {
  const received: Received[] = [];
  const mode = { current: 'ok' as Mode };
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const expected = createHmac('sha256', SECRET).update(body).digest('hex');
      const signatureOk = req.headers['x-signature'] === expected;
      received.push({ headers: req.headers, body, signatureOk });
      if (!signatureOk) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":401,"msg":"bad signature"}');
      } else if (mode.current === 'http500') {
        res.writeHead(500).end('internal error');
      } else if (mode.current === 'errorBody') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 17, msg: '余额不足' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 0, data: { msgid: `m${(n += 1)}` } }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/sms/send`, received, mode, close: () => new Promise((r) => server.close(() => r())) };
}

const data = tempDir('fenghuo-sms-http-');
const secretFile = join(data.dir, 'sms-secret');
writeFileSync(secretFile, `${SECRET}\n`);
const FIELDS = { mobile: '{number}', content: '{text}', ts: '{timestamp}', nonce: '{nonce}', account: 'qingshui-01' };

let platform: Awaited<ReturnType<typeof startPlatform>>;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform.close();
  data.cleanup();
});

describe('HttpSmsPlatform', () => {
  it('posts the templated fields as JSON with a signature, timestamp and nonce the platform accepts', async () => {
    const sms = new HttpSmsPlatform({ url: platform.url, format: 'json', fields: FIELDS, secretFile, successField: 'code', successValue: 0, messageIdField: 'data.msgid', now: () => 1_780_000_000_000 });
    const before = platform.received.length;
    const r = await sms.send('+8613800138000', '清水河站 立即转移');
    expect(r).toMatchObject({ ok: true, messageId: expect.stringMatching(/^http-m\d+$/) });
    const got = platform.received[before]!;
    expect(got.signatureOk).toBe(true);
    expect(got.headers['content-type']).toContain('application/json');
    expect(got.headers['x-timestamp']).toBe('1780000000000');
    expect(JSON.parse(got.body)).toEqual({ mobile: '+8613800138000', content: '清水河站 立即转移', ts: '1780000000000', nonce: got.headers['x-nonce'], account: 'qingshui-01' });
    await sms.send('+8613800138000', 'again');
    expect(platform.received[before + 1]!.headers['x-nonce']).not.toBe(got.headers['x-nonce']);
    expect(await sms.status()).toEqual({ ready: true, lastError: undefined });
  });

  it('posts a form body when asked', async () => {
    const sms = new HttpSmsPlatform({ url: platform.url, format: 'form', fields: FIELDS, secretFile });
    const before = platform.received.length;
    expect((await sms.send('+8613800138000', '水位 3.2 米')).ok).toBe(true);
    const got = platform.received[before]!;
    expect(got.signatureOk).toBe(true);
    expect(got.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(new URLSearchParams(got.body).get('content')).toBe('水位 3.2 米');
  });

  it('reports a refused signature as a permanent failure, a 500 and an error answer as transient ones', async () => {
    const wrongSecret = join(data.dir, 'wrong');
    writeFileSync(wrongSecret, 'not-the-secret');
    const bad = await new HttpSmsPlatform({ url: platform.url, format: 'json', fields: FIELDS, secretFile: wrongSecret }).send('+8613800138000', 'x');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect([bad.error.code, bad.error.kind]).toEqual(['http_error', 'subscription']);
    const sms = new HttpSmsPlatform({ url: platform.url, format: 'json', fields: FIELDS, secretFile, successField: 'code' });
    platform.mode.current = 'http500';
    const r500 = await sms.send('+8613800138000', 'x');
    platform.mode.current = 'errorBody';
    const rBody = await sms.send('+8613800138000', 'x');
    platform.mode.current = 'ok';
    for (const r of [r500, rBody]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect([r.error.code, r.error.kind]).toEqual(['http_error', 'network']);
    }
    if (!rBody.ok) expect(rBody.error.message).toContain('余额不足');
    const gone = await new HttpSmsPlatform({ url: 'http://127.0.0.1:9/x', format: 'json', fields: FIELDS, secretFile, timeoutMs: 1_000 }).send('+8613800138000', 'x');
    expect(!gone.ok && gone.error.code).toBe('port_unavailable');
  });
});

describe('the HTTP platform as the daemon\'s SMS transport', () => {
  let box: Box;

  beforeAll(async () => {
    const dir = join(data.dir, 'daemon');
    mkdirSync(dir);
    box = await startBox({
      dir,
      sms: { transport: { http: { url: platform.url, format: 'json', fields: FIELDS, secretFile, successField: 'code', successValue: 0, messageIdField: 'data.msgid', timeoutMs: 2_000 } }, perNumberPerHour: 50 },
    });
  }, 30_000);
  afterAll(async () => {
    await box?.daemon.stop();
    await box?.gauge.stop();
  });

  it('sends each recipient\'s SMS signed; a 500 or an error answer is tried again, then failed', async () => {
    let before = platform.received.length;
    const { alarm } = await api<{ alarm: { id: number } }>(box, '/alarms', { level: 'evacuate', siteId: SITE, drill: false });
    await waitFor(() => platform.received.length >= before + 3, 'three requests', 10_000);
    const sent = platform.received.slice(before);
    expect(sent.every((r) => r.signatureOk)).toBe(true);
    expect(sent.map((r) => (JSON.parse(r.body) as { mobile: string }).mobile).sort()).toEqual([...LEADERS].sort());
    await waitFor(() => box.logs.events('sms.sent').length >= 3, 'sent', 5_000);
    expect((await alarmSms(box, alarm.id)).sms!.map((s) => s.state)).toEqual(['sent', 'sent', 'sent']);

    for (const mode of ['http500', 'errorBody'] as const) {
      platform.mode.current = mode;
      before = platform.received.length;
      const failedBefore = box.logs.events('sms.failed').length;
      const drill = await api<{ alarm: { id: number } }>(box, '/alarms', { level: mode === 'http500' ? 'prepare' : 'evacuate', siteId: SITE, drill: true });
      await waitFor(() => box.logs.events('sms.failed').length >= failedBefore + 3, `three SMS failed (${mode})`, 15_000);
      expect(platform.received.length - before).toBe(9); // 3 recipients × 3 tries
      const rows = (await alarmSms(box, drill.alarm.id)).sms!.filter((s) => s.event === (mode === 'http500' ? 'prepare' : 'evacuate'));
      for (const s of rows) expect(s).toMatchObject({ state: 'failed', attempts: 3, errorCode: 'http_error', error: expect.stringContaining(mode === 'http500' ? 'HTTP 500' : '余额不足') });
    }
    expect(box.daemon.alarms.active().find((a) => a.key === 'output_fault:sms')?.title).toBe('短信平台 无法发送');
    platform.mode.current = 'ok';
  }, 40_000);
});
