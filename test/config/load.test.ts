import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblems } from '../../node-daemon/config/format-problems.js';
import { loadConfigFile, parseConfigText } from '../../node-daemon/config/load.js';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { BAD_CONFIGS, BAD_TEST_VECTOR, GOOD_MINIMAL } from './bad-configs.js';

const exampleFile = join(packageRoot(), 'config', 'example.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'fenghuo-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseConfigText on bad files', () => {
  it.each([...BAD_CONFIGS, BAD_TEST_VECTOR])('$name -> $path', (bad) => {
    const result = parseConfigText(bad.yaml);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const match = result.problems.find((p) => p.path === bad.path && p.message.includes(bad.says));
    expect(match, formatProblems(result.problems).join('\n')).toBeDefined();
    expect(match?.severity).toBe('error');
    if (bad.line !== undefined) expect(match?.line).toBe(bad.line);
  });
});

describe('parseConfigText', () => {
  it('accepts a minimal file and fills in defaults', () => {
    const result = parseConfigText(GOOD_MINIMAL);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.http.listen).toBe('127.0.0.1:8080');
    expect(result.config.buses[0]).toMatchObject({ id: 'rtu1', type: 'rtu', baudRate: 9600, parity: 'none', breaker: { failureThreshold: 3 } });
    expect(result.config.sensors[0]).toMatchObject({ id: 's1', pollIntervalMs: 5000, critical: false, datumOffsetM: 0 });
    expect(result.warnings).toEqual([]);
  });

  it('warns that without an I/O board the dispatch plans\' relays will not be switched', () => {
    const result = parseConfigText(GOOD_MINIMAL + 'outputs:\n  ledBoards:\n    - { id: led1, path: /dev/ttyUSB3, baudRate: 9600 }\n');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => [w.path, w.severity])).toEqual([
      ['dispatch.prepare.relays', 'warning'],
      ['dispatch.evacuate.relays', 'warning'],
    ]);
    expect(result.warnings[1]?.message).toContain('the default evacuate plan\'s relays (amplifier, siren, strobe) will not be switched');
  });

  it('reports every problem of a file at once, in file order', () => {
    const result = parseConfigText(
      'buses:\n  - id: rtu1\n    type: rtu\n    path: /dev/ttyUSB0\n    baudRate: 9601\nsensors:\n  - id: s1\n    bus: nowhere\n    slave: 1\n    profile: nope\n',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const errors = result.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => p.path)).toEqual(['buses[0].baudRate', 'sensors[0].bus', 'sensors[0].profile']);
    expect(errors.map((p) => p.line)).toEqual([5, 8, 10]);
  });

  it('does not repeat a schema error as a reference error', () => {
    const result = parseConfigText(GOOD_MINIMAL.replace('bus: rtu1', 'bus: Rtu 1'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.filter((p) => p.path === 'sensors[0].bus')).toHaveLength(1);
  });

  it('keeps the bad value, truncated, and what is allowed', () => {
    const long = 'x'.repeat(200);
    const result = parseConfigText(GOOD_MINIMAL.replace('type: rtu', `type: ${long}`));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems.find((p) => p.path === 'buses[0].type');
    expect(problem?.value?.length).toBeLessThanOrEqual(60);
    expect(problem?.expected).toBe('one of rtu, tcp');
  });

  it('passes with warnings: an unused bus and a staleAfterMs shorter than the poll interval', () => {
    const result = parseConfigText(`${GOOD_MINIMAL}    staleAfterMs: 1000\n`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => w.path)).toEqual(['sensors[0].staleAfterMs']);
    const unused = parseConfigText(GOOD_MINIMAL.replace('buses:\n', 'buses:\n  - id: spare\n    type: tcp\n    host: 10.0.0.9\n'));
    expect(unused.ok && unused.warnings.map((w) => `${w.severity} ${w.path}`)).toEqual(['warning buses[0].id']);
  });

  it('names the key path of a YAML syntax error when it can', () => {
    const result = parseConfigText('buses:\n  - id: rtu1\n    type: rtu\n    type: tcp\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toMatchObject({ path: 'buses[0].type', line: 4, column: 5 });
  });
});

describe('loadConfigFile', () => {
  it('accepts config/example.yaml without errors or warnings', async () => {
    const result = await loadConfigFile(exampleFile);
    expect(result.ok ? result.warnings : result.problems).toEqual([]);
    expect(result.ok && [result.config.buses.length, result.config.sensors.length]).toEqual([3, 6]);
  });

  it('uses every catalogue profile, a custom profile and an inline profile in the example', async () => {
    const result = await loadConfigFile(exampleFile);
    if (!result.ok) throw new Error('example invalid');
    const { CATALOGUE } = await import('../../node-daemon/sensing/catalogue.js');
    const named = result.config.sensors.map((s) => s.profile).filter((p): p is string => typeof p === 'string');
    for (const name of Object.keys(CATALOGUE)) expect(named).toContain(name);
    expect(named.some((n) => n in result.config.profiles)).toBe(true);
    expect(result.config.sensors.some((s) => typeof s.profile === 'object')).toBe(true);
    expect(new Set(result.config.buses.map((b) => b.type))).toEqual(new Set(['rtu', 'tcp']));
  });

  it('reports a missing file as a problem', async () => {
    const result = await loadConfigFile(join(tmp, 'absent.yaml'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]?.message).toMatch(/cannot read .*absent\.yaml: no such file/);
  });

  it('sees two serial paths naming one device through a symlink', async () => {
    const device = join(tmp, 'ttyUSB7');
    const link = join(tmp, 'usb-adapter-if00');
    writeFileSync(device, '');
    symlinkSync(device, link);
    const file = join(tmp, 'ports.yaml');
    const text = (await readFile(exampleFile, 'utf8'))
      .replace('/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K3Q2B-if00-port0', link)
      .replace('/dev/ttyUSB1', device);
    writeFileSync(file, text);
    const result = await loadConfigFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^buses\[1\]\.path: buses\[0\] already uses this serial port \(both are .*ttyUSB7\)/),
    ]);
  });
});
