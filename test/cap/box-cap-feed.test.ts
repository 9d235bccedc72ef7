// The box's CAP 1.2 Atom feed (GET /api/v1/cap/feed) on the real daemon (buildDaemon: real SQLite, real HTTP, the
// real auth layer), checked the way test/hub/cap.test.ts checks the hub's: with a real XML parser (xmllint, Debian
// libxml2-utils), every alert inline and linked valid against the OASIS CAP 1.2 schema (test/hub/cap-v1.2.xsd),
// entries linking to the box's own GET /api/v1/alarms/{id}/cap, drills marked Exercise, cleared alarms gone.
// Without site.cap the feed answers 404 exactly as the alarm CAP route does.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { bearerHeaders, testApiTokens, TEST_API_TOKEN } from '../helpers/auth.js';

const XSD = join(import.meta.dirname, '..', 'hub', 'cap-v1.2.xsd');

function xmllintMissing(): string | undefined {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'xmllint not found (Debian package libxml2-utils; test/setup/ensure-system-deps.mjs installs it as root)';
  }
}
const NO_XMLLINT = xmllintMissing();
if (NO_XMLLINT !== undefined) console.warn(`[box CAP feed tests] SKIPPED: ${NO_XMLLINT}`);

const data = tempDir('fenghuo-box-cap-');
let n = 0;
function file(text: string): string {
  const f = join(data.dir, `doc-${(n += 1)}.xml`);
  writeFileSync(f, text);
  return f;
}

/** xmllint's verdict on a document against the CAP 1.2 schema: '' when valid, its complaint otherwise. */
function capInvalid(xml: string): string {
  try {
    execFileSync('xmllint', ['--noout', '--schema', XSD, file(xml)], { stdio: 'pipe' });
    return '';
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err);
  }
}

function xpath(xml: string, expr: string): string {
  return execFileSync('xmllint', ['--xpath', expr, file(xml)], { encoding: 'utf8' }).replace(/\n$/, '');
}

const ATOM = (name: string): string => `*[local-name()='${name}' and namespace-uri()='http://www.w3.org/2005/Atom']`;
const CAPE = (name: string): string => `*[local-name()='${name}' and namespace-uri()='urn:oasis:names:tc:emergency:cap:1.2']`;

const CAP = { senderCode: '53010201100101', sender: 'fenghuo-qingshui', senderName: '清水镇防汛预警终端', areaDesc: '清水镇清水村', geocode: '530102' };

async function start(dir: string, withCap: boolean): Promise<Daemon> {
  const config = {
    site: { name: '清水镇', timezone: 'Asia/Shanghai', ...(withCap ? { cap: CAP } : {}) },
    http: { apiTokens: testApiTokens('viewer') },
  };
  const parsed = parseConfigText(JSON.stringify(config));
  if (!parsed.ok) throw new Error(`config rejected: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const daemon = buildDaemon({ config: parsed.config, dataDir: dir, listen: '127.0.0.1:0', log: silentLogger(), clock: systemClock });
  await daemon.start();
  return daemon;
}

const VIEWER = `${TEST_API_TOKEN}-viewer`;

async function post(url: string, path: string, json: unknown): Promise<{ status: number; body: { alarm: { id: number } } }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { ...bearerHeaders(), 'content-type': 'application/json' }, body: JSON.stringify(json) });
  return { status: res.status, body: (await res.json()) as { alarm: { id: number } } };
}

let withCap: Daemon | undefined;
let withoutCap: Daemon | undefined;
let url = '';
let bareUrl = '';
const ids: { real?: number; drill?: number; gone?: number } = {};

beforeAll(async () => {
  const a = join(data.dir, 'with-cap');
  const b = join(data.dir, 'without-cap');
  for (const d of [a, b]) mkdirSync(d, { recursive: true });
  withCap = await start(a, true);
  withoutCap = await start(b, false);
  url = withCap.url();
  bareUrl = withoutCap.url();
  const real = await post(url, '/api/v1/alarms', { level: 'evacuate', title: '清水河站 立即转移 <实况> & "测试"', drill: false });
  const drill = await post(url, '/api/v1/alarms', { level: 'prepare', title: '全镇 准备转移', drill: true });
  const gone = await post(url, '/api/v1/alarms', { level: 'prepare', title: '已解除的预警', drill: false, siteId: 'gone-site' });
  for (const r of [real, drill, gone]) expect(r.status).toBe(201);
  ids.real = real.body.alarm.id;
  ids.drill = drill.body.alarm.id;
  ids.gone = gone.body.alarm.id;
  const cleared = await fetch(`${url}/api/v1/alarms/${ids.gone}/clear`, { method: 'POST', headers: { ...bearerHeaders(), 'content-type': 'application/json' }, body: '{}' });
  expect(cleared.status).toBe(200);
  expect((await post(bareUrl, '/api/v1/alarms', { level: 'prepare', drill: false })).status).toBe(201);
});

afterAll(async () => {
  await withCap?.stop();
  await withoutCap?.stop();
  data.cleanup();
});

describe.skipIf(NO_XMLLINT !== undefined)('GET /api/v1/cap/feed on the box', () => {
  it('an Atom feed of the alarms not cleared, each a schema-valid CAP 1.2 alert inline and linked to /alarms/{id}/cap', async () => {
    const res = await fetch(`${url}/api/v1/cap/feed`, { headers: bearerHeaders(VIEWER) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const feed = await res.text();
    // Well-formed (xmllint exits non-zero otherwise), and an Atom feed with the elements RFC 4287 requires.
    execFileSync('xmllint', ['--noout', file(feed)]);
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('id')})`)).toBe(`${url}/api/v1/cap/feed`);
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('link')}[@rel='self']/@href)`)).toBe(`${url}/api/v1/cap/feed`);
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('updated')})`)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('title')})`)).toBe('清水镇防汛预警终端 山洪灾害预警（CAP）');
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('author')}/${ATOM('name')})`)).toBe('清水镇防汛预警终端');
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('generator')})`)).toBe('fenghuo');

    // The two alarms not cleared, not the cleared one.
    const entries = Number(xpath(feed, `count(/${ATOM('feed')}/${ATOM('entry')})`));
    expect(entries).toBe(2);
    const hrefs: string[] = [];
    const byHeadline: Record<string, string> = {};
    for (let i = 1; i <= entries; i += 1) {
      const entry = `(/${ATOM('feed')}/${ATOM('entry')})[${i}]`;
      for (const el of ['id', 'title', 'updated', 'published', 'summary']) expect(xpath(feed, `count(${entry}/${ATOM(el)})`), el).toBe('1');
      const href = xpath(feed, `string(${entry}/${ATOM('link')}[@rel='alternate' and @type='application/cap+xml']/@href)`);
      hrefs.push(href);
      expect(xpath(feed, `string(${entry}/${ATOM('content')}/@type)`)).toBe('application/cap+xml');
      const inline = xpath(feed, `${entry}/${ATOM('content')}/${CAPE('alert')}`);
      expect(capInvalid(inline)).toBe('');

      // The link is the box's own CAP route, behind the same sign-in.
      expect((await fetch(href)).status).toBe(401);
      const doc = await fetch(href, { headers: bearerHeaders(VIEWER) });
      expect(doc.status, href).toBe(200);
      const capXml = await doc.text();
      expect(capInvalid(capXml)).toBe('');
      // The entry and the document are the same message.
      const identifier = xpath(capXml, `string(/${CAPE('alert')}/${CAPE('identifier')})`);
      expect(identifier).toMatch(/^53010201100101_\d{14}_\d+$/);
      expect(xpath(inline, `string(/${CAPE('alert')}/${CAPE('identifier')})`)).toBe(identifier);
      expect(xpath(feed, `string(${entry}/${ATOM('id')})`)).toBe(`tag:fenghuo,2025:cap:fenghuo-qingshui:${identifier}`);
      expect(xpath(feed, `string(${entry}/${ATOM('updated')})`)).toBe(xpath(capXml, `string(/${CAPE('alert')}/${CAPE('sent')})`));
      expect(xpath(feed, `string(${entry}/${ATOM('title')})`)).toBe(xpath(capXml, `string(//${CAPE('headline')})`));
      expect(xpath(feed, `string(${entry}/${ATOM('category')}/@term)`)).toBe(xpath(capXml, `string(/${CAPE('alert')}/${CAPE('status')})`));
      byHeadline[xpath(capXml, `string(//${CAPE('headline')})`)] = capXml;
    }
    expect(hrefs.sort()).toEqual([`${url}/api/v1/alarms/${ids.real}/cap`, `${url}/api/v1/alarms/${ids.drill}/cap`].sort());

    const real = byHeadline['清水河站 立即转移 <实况> & "测试"']!;
    expect(real).toBeDefined();
    expect(xpath(real, `string(/${CAPE('alert')}/${CAPE('sender')})`)).toBe('fenghuo-qingshui');
    expect(xpath(real, `string(/${CAPE('alert')}/${CAPE('status')})`)).toBe('Actual');
    expect(xpath(real, `string(//${CAPE('severity')})`)).toBe('Extreme');
    expect(xpath(real, `string(//${CAPE('areaDesc')})`)).toBe('清水镇清水村');
    expect(xpath(real, `string(//${CAPE('geocode')}/${CAPE('value')})`)).toBe('530102');

    const drill = byHeadline['【演练】全镇 准备转移']!;
    expect(drill).toBeDefined();
    expect(xpath(drill, `string(/${CAPE('alert')}/${CAPE('status')})`)).toBe('Exercise');
    expect(xpath(feed, `count(//${ATOM('entry')}/${ATOM('category')}[@term='Exercise'])`)).toBe('1');
    expect(xpath(feed, `count(//${ATOM('entry')}/${ATOM('category')}[@term='Actual'])`)).toBe('1');
  });

  it('needs a session or a token (viewer is enough)', async () => {
    const none = await fetch(`${url}/api/v1/cap/feed`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it('is listed in the OpenAPI document, for viewers', async () => {
    const doc = (await (await fetch(`${url}/api/v1/openapi.json`)).json()) as { paths: Record<string, { get?: Record<string, unknown> }> };
    expect(doc.paths['/api/v1/cap/feed']?.get?.['x-fenghuo-role']).toBe('viewer');
  });

  it('without site.cap: 404 with the same body as the alarm CAP route', async () => {
    const feed = await fetch(`${bareUrl}/api/v1/cap/feed`, { headers: bearerHeaders(VIEWER) });
    const one = await fetch(`${bareUrl}/api/v1/alarms/1/cap`, { headers: bearerHeaders(VIEWER) });
    expect(feed.status).toBe(404);
    expect(one.status).toBe(404);
    const body = await feed.json();
    expect(body).toMatchObject({ error: { code: 'not_found' } });
    expect(body).toEqual(await one.json());
  });
});
