// Pinned TLS to an https hub, for real: the hub app (hub/http on SQLite) served over node:https with certificates the
// test makes with the openssl CLI — one self-signed, one signed by a test CA. `fenghuo enroll` (the CLI command
// in-process) refuses a self-signed hub without --pin and tells the pin, refuses a wrong --pin, and records the right
// one; the push then works over the self-signed certificate, and a hub that shows another key — even one the CA
// vouches for — is refused before a byte of a request goes: a clear log line, and `certificate_refused` in health.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubApp } from '../../hub/http/app.js';
import { MemoryNonceStore } from '../../hub/http/nonce-store.js';
import { SqliteHubStore } from '../../hub/store/sqlite-store.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { formatEnrolCode, generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { enrollCommand } from '../../node-daemon/sync/enrol/enrol-cli.js';
import { enrolmentPaths, loadEnrolment } from '../../node-daemon/sync/enrol/files.js';
import { SigningKey } from '../../node-daemon/sync/protocol/index.js';
import { pinnedAgent, TlsPinMismatch } from '../../node-daemon/sync/push/pinned-agent.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { drained, syncModuleMaker } from './push-rig.js';
import { tempBox, writeWeek, type TempBox } from './outbox-fixture.js';

const BOX = 'tls-box-01';
const hasOpenssl = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasOpenssl) console.log('SKIP test/sync/tls-pin.test.ts: the openssl command is missing (apt-get install -y openssl); it makes the test certificates');

const dir = mkdtempSync(join(tmpdir(), 'fenghuo-tls-'));
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const SAN = 'subjectAltName=IP:127.0.0.1,DNS:localhost';

/** The pin as openssl computes it: base64 of the SHA-256 of the public key's DER. */
function opensslPin(cert: string): string {
  const der = execFileSync('sh', ['-c', `openssl x509 -in '${cert}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl enc -base64 -A`]);
  return `sha256/${der.toString('utf8').trim()}`;
}

let selfSigned: { key: string; cert: string; pin: string };
let caSigned: { key: string; cert: string; pin: string };
let caPem: string;
let store: SqliteHubStore;
let server: https.Server;
let origin: string;
/** Requests that reached the hub app (after TLS). */
let reached = 0;
const countyKey = SigningKey.generate('county-tls');

beforeAll(async () => {
  if (!hasOpenssl) return;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.crt', '-days', '2', '-subj', '/CN=localhost', '-addext', SAN);
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=fenghuo test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  openssl('req', '-new', ...ec, '-keyout', 'other.key', '-out', 'other.csr', '-subj', '/CN=localhost');
  writeFileSync(file('san.ext'), `${SAN}\n`);
  openssl('x509', '-req', '-in', 'other.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'other.crt', '-days', '2', '-extfile', 'san.ext');
  const read = (n: string): string => readFileSync(file(n), 'utf8');
  selfSigned = { key: read('self.key'), cert: read('self.crt'), pin: opensslPin(file('self.crt')) };
  caSigned = { key: read('other.key'), cert: read('other.crt'), pin: opensslPin(file('other.crt')) };
  caPem = read('ca.crt');

  store = SqliteHubStore.open({ path: file('hub.db') });
  const { app } = createHubApp({ store, countyKey, nonces: new MemoryNonceStore(Date.now), log: silentLogger() });
  server = createAdaptorServer({
    fetch: (req: Request, env: unknown) => {
      reached += 1;
      return app.fetch(req, env);
    },
    createServer: https.createServer,
    serverOptions: { key: selfSigned.key, cert: selfSigned.cert },
  }) as https.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The hub shows another certificate from now on; open connections are closed so the next one sees it. */
function showCertificate(c: { key: string; cert: string }): void {
  server.setSecureContext({ key: c.key, cert: c.cert });
  server.closeAllConnections();
}

async function code(): Promise<string> {
  const c = generateEnrolCode(BOX);
  await store.createEnrolmentCode({ code: c.canonical, createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
  return formatEnrolCode(c);
}

async function enroll(data: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const exit = await enrollCommand(['--hub', origin, '--data', data, ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code: exit, out: out.join('\n'), err: err.join('\n') };
}

describe.skipIf(!hasOpenssl)('pinned TLS to an https hub', () => {
  let box: TempBox;
  beforeAll(() => {
    box = tempBox();
  });
  afterAll(() => box?.cleanup());

  it('our pin is openssl\'s, and two different keys have different pins', () => {
    expect(selfSigned.pin).toMatch(/^sha256\/[A-Za-z0-9+/]{43}=$/);
    expect(caSigned.pin).not.toBe(selfSigned.pin);
  });

  it('fenghuo enroll: a self-signed hub without --pin is refused with its pin shown; a wrong --pin is refused; nothing is sent or kept', async () => {
    const before = reached;
    const noPin = await enroll(box.dir, '--code', await code());
    expect(noPin.code).toBe(1);
    expect(noPin.err).toContain('no certificate authority of this box vouches for');
    expect(noPin.err).toContain(`--pin ${selfSigned.pin}`);
    const wrong = await enroll(box.dir, '--code', await code(), '--pin', caSigned.pin);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`pin ${selfSigned.pin}, not the --pin given`);
    expect(reached).toBe(before);
    expect(existsSync(enrolmentPaths(box.dir).enrolment)).toBe(false);
    // A pin given for a plain http hub is a command-line error.
    const out: string[] = [];
    const http = await enrollCommand(['--hub', 'http://127.0.0.1:9', '--code', await code(), '--pin', selfSigned.pin, '--data', box.dir], { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(http).toBe(2);
    expect(out.join('\n')).toContain('--pin is for an https hub');
  });

  it('fenghuo enroll --pin: the right pin enrols over the self-signed certificate and is kept in enrolment.json', async () => {
    // curl's sha256// form, as an installer may paste it.
    const r = await enroll(box.dir, '--code', await code(), '--pin', selfSigned.pin.replace('sha256/', 'sha256//'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`hub certificate key pinned: ${selfSigned.pin} (the --pin given)`);
    const json = JSON.parse(readFileSync(enrolmentPaths(box.dir).enrolment, 'utf8')) as Record<string, unknown>;
    expect(json).toMatchObject({ hub: origin, boxId: BOX, tlsPin: selfSigned.pin });
  });

  it('pushes over the pinned self-signed certificate; a hub showing another key is refused before any request, logged once, and shown in health', async () => {
    await writeWeek(box.db, 1);
    const enrolment = loadEnrolment(box.dir);
    if (enrolment === undefined) throw new Error('not enrolled');
    const { logs, make } = syncModuleMaker(box.db, enrolment);
    const module = make();
    try {
      await module.start();
      await waitUntil(() => drained(module) && module.status().state === 'up', 30_000, 'the backlog pushed over TLS');
      expect(module.status()).toMatchObject({ state: 'up', hub: origin, tlsPin: selfSigned.pin });
      expect((await store.recordStats(BOX)).readings.count).toBeGreaterThan(0);

      // The hub now shows a certificate a CA vouches for, with another key.
      showCertificate(caSigned);
      const reachedBefore = reached;
      await writeWeek(box.db, 1, Date.now() - 3_600_000);
      await waitUntil(() => module.status().state === 'certificate_refused', 15_000, 'certificate_refused');
      await waitUntil(() => logs.events('sync.push.failed').filter((l) => l['failure'] === 'certificate').length >= 3, 15_000, 'three refused tries');
      expect(reached).toBe(reachedBefore);
      const refused = logs.events('sync.certificate_refused');
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ level: 'error', hub: origin });
      expect(String(refused[0]!['error'])).toContain(`(${caSigned.pin}) is not the one pinned at enrolment (${selfSigned.pin})`);
      expect(String(refused[0]!['error'])).toContain('fenghuo enroll --force');
      expect(module.status().lastError?.message).toContain('Nothing was sent');

      // Back to the pinned key: the link comes back by itself.
      showCertificate(selfSigned);
      await waitUntil(() => drained(module) && module.status().state === 'up', 30_000, 'the link back up');
      expect(logs.events('sync.problem_cleared')).toHaveLength(1);
    } finally {
      await module.stop();
    }
  }, 90_000);

  it('the pinned agent refuses a certificate the CA accepts, where a CA-checking agent takes it', async () => {
    showCertificate(caSigned);
    const get = (agent: https.Agent): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = https.request(`${origin}/api/v1/sync/enroll`, { method: 'GET', agent }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    const caAgent = new https.Agent({ ca: caPem });
    const pinned = pinnedAgent(selfSigned.pin, { ca: caPem });
    try {
      expect(await get(caAgent)).toBeGreaterThan(0);
      const err = await get(pinned).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TlsPinMismatch);
      expect((err as TlsPinMismatch).got).toBe(caSigned.pin);
    } finally {
      caAgent.destroy();
      pinned.destroy();
      showCertificate(selfSigned);
    }
  });
});
