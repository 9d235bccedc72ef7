// The CAP 1.2 feed on a real hub over both store back ends: the Atom 1.0 feed of active alarms and each CAP
// document, checked with a real XML parser (xmllint, Debian libxml2-utils): well-formed, every alert valid against
// the OASIS CAP 1.2 schema (test/hub/cap-v1.2.xsd, OASIS's own file), entries linking to their documents, drills
// marked Exercise, sender and area from the hub's `cap:` config.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { capConfigSchema } from '../../hub/cap/cap-config.js';
import { enrol, pushAll, startApiHub, xmllintMissing, type ApiHub } from './api-rig.js';
import { backends, title, type Fixture } from './backends.js';
import { BoxSim, MIN, T0 } from './box-sim.js';

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

const XSD = join(import.meta.dirname, 'cap-v1.2.xsd');
const NO_XMLLINT = xmllintMissing();
if (NO_XMLLINT !== undefined) console.warn(`[hub CAP tests] SKIPPED: ${NO_XMLLINT}`);

const work = mkdtempSync(join(tmpdir(), 'fenghuo-cap-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const f = join(work, `doc-${(n += 1)}.xml`);
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
  // xmllint ends what it prints with a newline.
  return execFileSync('xmllint', ['--xpath', expr, file(xml)], { encoding: 'utf8' }).replace(/\n$/, '');
}

const ATOM = (name: string): string => `*[local-name()='${name}' and namespace-uri()='http://www.w3.org/2005/Atom']`;
const CAPE = (name: string): string => `*[local-name()='${name}' and namespace-uri()='urn:oasis:names:tc:emergency:cap:1.2']`;

const CAP = capConfigSchema.parse({
  sender: 'hub.county.example',
  senderCode: '53010200000000',
  senderName: '某县防汛抗旱指挥部',
  areaDesc: '某县',
  areas: { 'xiaoshan-01': '萧山镇 & 河口村' },
  geocode: '530102',
});

async function world(fx: Fixture): Promise<ApiHub> {
  const hub = await startApiHub(await fx.open(), { cap: CAP });
  const a = new BoxSim();
  const flood = a.newAlarm({ title: '清水河站 准备转移', raisedAt: T0 });
  a.transition(flood, 'raised', 'prepare', T0);
  a.transition(flood, 'escalated', 'evacuate', T0 + 10 * MIN);
  a.transition(flood, 'acknowledged', 'evacuate', T0 + 12 * MIN, { by: '县长' });
  const drill = a.newAlarm({ kind: 'manual', key: 'drill:all', drill: true, title: '全镇 立即转移 <演练> & "测试"', raisedAt: T0 + 20 * MIN });
  a.transition(drill, 'raised', 'evacuate', T0 + 20 * MIN);
  const gone = a.newAlarm({ raisedAt: T0 + 30 * MIN });
  a.transition(gone, 'raised', 'prepare', T0 + 30 * MIN);
  a.transition(gone, 'cleared', 'prepare', T0 + 40 * MIN);
  const b = new BoxSim();
  const fault = b.newAlarm({ kind: 'fault', key: 'fault:comm_lost:s1', title: '水位计通讯中断', raisedAt: T0 + 50 * MIN });
  b.transition(fault, 'raised', null, T0 + 50 * MIN);
  await pushAll(hub, 'qingshui-01', await enrol(hub, 'qingshui-01', '清水镇'), a);
  await pushAll(hub, 'xiaoshan-01', await enrol(hub, 'xiaoshan-01'), b);
  return hub;
}

describe.each(BACKENDS.map((b) => [title(b), b] as const))('CAP feed on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined || NO_XMLLINT !== undefined;
  let fx: Fixture | undefined;
  let hub: ApiHub | undefined;
  afterEach(async () => {
    await hub?.close();
    await fx?.dispose();
    fx = undefined;
    hub = undefined;
  });

  it.skipIf(skip)('an Atom feed of the active alarms, each a schema-valid CAP 1.2 alert inline and linked', async () => {
    fx = await backend.fixture();
    hub = await world(fx);
    const res = await fetch(`${hub.url}/api/v1/cap/feed`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const feed = await res.text();
    // Well-formed (xmllint exits non-zero otherwise), and an Atom feed.
    execFileSync('xmllint', ['--noout', file(feed)]);
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('id')})`)).toBe(`${hub.url}/api/v1/cap/feed`);
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('link')}[@rel='self']/@href)`)).toBe(`${hub.url}/api/v1/cap/feed`);
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('updated')})`)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    // The three alarms not cleared, none of the cleared one.
    const entries = Number(xpath(feed, `count(/${ATOM('feed')}/${ATOM('entry')})`));
    expect(entries).toBe(3);
    const seen: Record<string, string> = {};
    for (let i = 1; i <= entries; i += 1) {
      const entry = `(/${ATOM('feed')}/${ATOM('entry')})[${i}]`;
      const href = xpath(feed, `string(${entry}/${ATOM('link')}[@rel='alternate' and @type='application/cap+xml']/@href)`);
      expect(xpath(feed, `string(${entry}/${ATOM('content')}/@type)`)).toBe('application/cap+xml');
      const inline = xpath(feed, `${entry}/${ATOM('content')}/${CAPE('alert')}`);
      expect(capInvalid(inline)).toBe('');

      const doc = await fetch(href);
      expect(doc.status, href).toBe(200);
      expect(doc.headers.get('content-type')).toBe('application/cap+xml; charset=utf-8');
      const capXml = await doc.text();
      expect(capInvalid(capXml)).toBe('');
      const identifier = xpath(capXml, `string(/${CAPE('alert')}/${CAPE('identifier')})`);
      // The entry and the document are the same message.
      expect(xpath(inline, `string(/${CAPE('alert')}/${CAPE('identifier')})`)).toBe(identifier);
      expect(xpath(feed, `string(${entry}/${ATOM('updated')})`)).toBe(xpath(capXml, `string(/${CAPE('alert')}/${CAPE('sent')})`));
      expect(xpath(feed, `string(${entry}/${ATOM('title')})`)).toBe(xpath(capXml, `string(//${CAPE('headline')})`));
      expect(identifier).toMatch(/^53010200000000_\d{14}_\d+$/);
      seen[xpath(capXml, `string(//${CAPE('headline')})`)] = capXml;
    }

    const flood = seen['清水河站 准备转移']!;
    expect(xpath(flood, `string(/${CAPE('alert')}/${CAPE('sender')})`)).toBe('qingshui-01@hub.county.example');
    expect(xpath(flood, `string(/${CAPE('alert')}/${CAPE('status')})`)).toBe('Actual');
    // The acknowledge says nothing in CAP: the message is the escalation, referencing the raise.
    expect(xpath(flood, `string(/${CAPE('alert')}/${CAPE('msgType')})`)).toBe('Update');
    expect(xpath(flood, `string(//${CAPE('severity')})`)).toBe('Extreme');
    expect(xpath(flood, `string(/${CAPE('alert')}/${CAPE('references')})`)).toMatch(/^qingshui-01@hub\.county\.example,53010200000000_20251001080000_1,2025-10-01T08:00:00\+08:00$/);
    expect(xpath(flood, `string(//${CAPE('areaDesc')})`)).toBe('某县清水镇');
    expect(xpath(flood, `string(//${CAPE('senderName')})`)).toBe('某县防汛抗旱指挥部（清水镇）');
    expect(xpath(flood, `string(//${CAPE('geocode')}/${CAPE('value')})`)).toBe('530102');

    const drill = seen['【演练】全镇 立即转移 <演练> & "测试"']!;
    expect(drill).toBeDefined();
    expect(xpath(drill, `string(/${CAPE('alert')}/${CAPE('status')})`)).toBe('Exercise');
    expect(xpath(feed, `count(//${ATOM('entry')}/${ATOM('category')}[@term='Exercise'])`)).toBe('1');

    const fault = Object.values(seen).find((x) => x.includes('xiaoshan-01@'))!;
    expect(xpath(fault, `string(//${CAPE('category')})`)).toBe('Infra');
    expect(xpath(fault, `string(//${CAPE('areaDesc')})`)).toBe('萧山镇 & 河口村');
  });

  it.skipIf(skip)('a cleared alarm\'s document is its all-clear (Cancel); unknown ones 404, bad ids 400', async () => {
    fx = await backend.fixture();
    hub = await world(fx);
    const res = await fetch(`${hub.url}/api/v1/cap/alerts/qingshui-01/3`);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(capInvalid(xml)).toBe('');
    expect(xpath(xml, `string(/${CAPE('alert')}/${CAPE('msgType')})`)).toBe('Cancel');
    expect(xpath(xml, `string(//${CAPE('responseType')})`)).toBe('AllClear');
    expect((await fetch(`${hub.url}/api/v1/cap/alerts/qingshui-01/99`)).status).toBe(404);
    expect((await fetch(`${hub.url}/api/v1/cap/alerts/qingshui-01/3?db=another-db`)).status).toBe(404);
    expect(await (await fetch(`${hub.url}/api/v1/cap/alerts/qingshui-01/x1`)).json()).toMatchObject({ error: { code: 'bad_request', param: 'alarmId' } });
    expect(await (await fetch(`${hub.url}/api/v1/cap/alerts/Q/1`)).json()).toMatchObject({ error: { code: 'bad_request', param: 'box' } });
  });

  it.skipIf(skip)('an empty feed is still a valid Atom feed', async () => {
    fx = await backend.fixture();
    hub = await startApiHub(await fx.open());
    const feed = await (await fetch(`${hub.url}/api/v1/cap/feed`)).text();
    execFileSync('xmllint', ['--noout', file(feed)]);
    expect(xpath(feed, `count(//${ATOM('entry')})`)).toBe('0');
    expect(xpath(feed, `string(/${ATOM('feed')}/${ATOM('title')})`)).toContain('CAP');
  });
});
