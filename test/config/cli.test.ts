import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { BAD_ALARM_CONFIGS, BAD_CONFIGS, BAD_TEST_VECTOR } from './bad-configs.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const run = promisify(execFile);
const root = packageRoot();
const tmp = mkdtempSync(join(tmpdir(), 'fenghuo-cli-'));

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real launcher as installers do: `node bin/fenghuo.js ...`. */
async function fenghuo(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'bin', 'fenghuo.js'), ...args], { cwd: tmp, env: { ...process.env, LANG: 'C' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(() => ensureDistBuilt(), 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fenghuo check-config', () => {
  it('accepts config/example.yaml', async () => {
    const file = join(root, 'config', 'example.yaml');
    const result = await fenghuo('check-config', file);
    expect(result).toEqual({ code: 0, stdout: `ok: ${file} (3 buses, 6 sensors)\n`, stderr: '' });
  });

  it.each([...BAD_CONFIGS, BAD_TEST_VECTOR, ...BAD_ALARM_CONFIGS])('$name: exit 2 naming $path', async (bad) => {
    const file = join(tmp, `${bad.name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
    writeFileSync(file, bad.yaml);
    const result = await fenghuo('check-config', file);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const where = bad.line === undefined ? file : `${file}:${bad.line}:`;
    const line = result.stderr.split('\n').find((l) => l.startsWith(where) && l.includes(`error: ${bad.path === '' ? '' : `${bad.path}: `}`) && l.includes(bad.says));
    expect(line, result.stderr).toBeDefined();
  });

  it('exits 2 with a clear message for a missing file', async () => {
    const result = await fenghuo('check-config', join(tmp, 'nope.yaml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read');
    expect(result.stderr).toContain('no such file');
  });

  it('exits 2 with usage when the file is not given', async () => {
    const result = await fenghuo('check-config');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage:');
  });

  it('adds Chinese explanations with --zh', async () => {
    const file = join(tmp, 'zh.yaml');
    writeFileSync(file, 'buses: []\nsensor: []\n');
    const result = await fenghuo('check-config', '--zh', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('未知的键 "sensor", 是不是 "sensors"?');
  });
});

describe('fenghuo run', () => {
  it('refuses an invalid config before starting anything', async () => {
    const file = join(tmp, 'run-bad.yaml');
    writeFileSync(file, 'buses:\n  - id: rtu1\n    type: rtu\n    path: /dev/ttyUSB0\n    baudrate: 9600\n');
    const result = await fenghuo('run', '--config', file, '--data', join(tmp, 'data'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:5:5: error: buses[0].baudrate: unknown key "baudrate"; did you mean "baudRate"?`);
    expect(result.stderr).toContain('not starting');
    expect(existsSync(join(tmp, 'data'))).toBe(false);
  });

  it.each([
    [['run', '--bogus'], "Unknown option '--bogus'"],
    [['run', '--listen', 'localhost'], '--listen localhost: the port is missing'],
    [['run', 'extra'], 'extra'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [[], 'a command is required'],
  ])('%j: usage and exit 2', async (args, says) => {
    const result = await fenghuo(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(says);
    expect(result.stderr).toContain('Usage:');
  });
});

describe('fenghuo schema, --help, --version', () => {
  it('prints exactly the committed JSON Schema', async () => {
    const result = await fenghuo('schema');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(root, 'config', 'fenghuo.schema.json'), 'utf8'));
  });

  it('prints usage on --help', async () => {
    const result = await fenghuo('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('fenghuo check-config');
  });

  it('prints the package version on --version', async () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const result = await fenghuo('--version');
    expect(result).toMatchObject({ code: 0, stdout: `fenghuo ${version}\n` });
  });
});
