// The layer rules of eslint.config.js bite: each deliberate violation in fixtures/ is linted as if it were a file
// inside the restricted folder and fails with the rule and message meant for it; a clean pure module passes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The problems ESLint reports for `fixtures/<fixture>` placed at `as` (a path from the repo root). */
async function lintAs(fixture: string, as: string): Promise<{ ruleId: string | null; message: string }[]> {
  const code = readFileSync(join(here, 'fixtures', fixture), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: join(root, as) });
  expect(result!.fatalErrorCount).toBe(0);
  return result!.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}

describe('layer rules', () => {
  it('a driver may not import the daemon', async () => {
    expect(await lintAs('driver-imports-daemon.ts', 'drivers/modbus/fixture.ts')).toEqual([
      {
        ruleId: 'layers/imports',
        message: expect.stringMatching(/^drivers\/modbus\/fixture\.ts may not import node-daemon\/core\/types\.ts .*drivers are hardware without policy/),
      },
    ]);
  });

  it('a benchmark may not import test code', async () => {
    expect(await lintAs('bench-imports-test.ts', 'bench/fixture.ts')).toEqual([
      {
        ruleId: 'layers/imports',
        message: expect.stringMatching(/^bench\/fixture\.ts may not import test\/daemon\/daemon-harness\.ts .*tests may import bench\/, not the reverse/),
      },
    ]);
  });

  it('a pure module may not import node:fs', async () => {
    expect(await lintAs('pure-imports-fs.ts', 'node-daemon/alarms/rules/fixture.ts')).toEqual([
      { ruleId: '@typescript-eslint/no-restricted-imports', message: expect.stringMatching(/^'node:fs' import is restricted .*Pure logic does no I\/O/) },
    ]);
  });

  it('a pure module may not import a module that is not pure', async () => {
    expect(await lintAs('pure-imports-impure.ts', 'node-daemon/alarms/rules/fixture.ts')).toEqual([
      {
        ruleId: 'layers/imports',
        message: expect.stringMatching(/^node-daemon\/alarms\/rules\/fixture\.ts may import only pure modules, and node-daemon\/storage\/database\.ts .* is not one/),
      },
    ]);
  });

  it('a unit test beside the code may not start the pymodbus peer', async () => {
    expect(await lintAs('beside-test-imports-pymodbus.ts', 'node-daemon/sensing/fixture.test.ts')).toEqual([
      {
        ruleId: 'layers/imports',
        message: expect.stringMatching(/test\/helpers\/pymodbus\.ts .* is not one: a test beside the code is pure; tests with real peers, disks, sockets or processes live in test\/<area>\//),
      },
    ]);
  });

  it('the UI may take only types, and only from the API contract', async () => {
    expect(await lintAs('ui-imports-daemon.ts', 'web-ui/src/fixture.ts')).toEqual([
      {
        ruleId: '@typescript-eslint/no-restricted-imports',
        message: expect.stringMatching(/alarm-store\.js' import is restricted .*The UI uses only the API contract/),
      },
      {
        ruleId: 'layers/imports',
        message: expect.stringMatching(/^web-ui\/src\/fixture\.ts may not import node-daemon\/http\/contract\.ts .*the UI runs in the browser/),
      },
    ]);
    expect(await lintAs('clean-ui.ts', 'web-ui/src/fixture.ts')).toEqual([]);
  });

  it('a pure module importing pure modules, and types from anywhere, passes', async () => {
    expect(await lintAs('clean-pure.ts', 'node-daemon/alarms/rules/fixture.ts')).toEqual([]);
  });
});
