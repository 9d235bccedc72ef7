import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeClockSync } from '../../node-daemon/health/clock-sync.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'fenghuo-clock-'));
  dirs.push(d);
  return d;
}

/** A program standing in for timedatectl on a box with systemd: prints `answer` for `show -p NTPSynchronized --value`. */
function fakeTimedatectl(dir: string, script: string): string {
  const path = join(dir, 'timedatectl');
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('probeClockSync', () => {
  it('takes timedatectl\'s answer when it gives one, passing it the documented arguments', async () => {
    const d = temp();
    const yes = fakeTimedatectl(d, '[ "$*" = "show -p NTPSynchronized --value" ] && echo yes || echo bad-args');
    expect(await probeClockSync({ timedatectl: yes, syncFile: join(d, 'none', 'synchronized') })).toEqual({ source: 'timedatectl', synchronized: true });
    const no = fakeTimedatectl(d, 'echo no');
    expect(await probeClockSync({ timedatectl: no })).toEqual({ source: 'timedatectl', synchronized: false });
  });

  it('falls back to the timesyncd marker file when timedatectl fails or is absent, else unknown', async () => {
    const d = temp();
    const failing = fakeTimedatectl(d, 'echo "System has not been booted with systemd" >&2; exit 1');
    const runDir = join(d, 'timesync');
    const file = join(runDir, 'synchronized');
    expect(await probeClockSync({ timedatectl: failing, syncFile: file })).toEqual({ source: 'unknown', synchronized: null });
    mkdirSync(runDir);
    expect(await probeClockSync({ timedatectl: join(d, 'no-such-program'), syncFile: file })).toEqual({ source: 'timesyncd', synchronized: false });
    writeFileSync(file, '');
    expect(await probeClockSync({ timedatectl: failing, syncFile: file })).toEqual({ source: 'timesyncd', synchronized: true });
    // garbage from timedatectl is not an answer either
    expect(await probeClockSync({ timedatectl: fakeTimedatectl(d, 'echo maybe'), syncFile: file })).toEqual({ source: 'timesyncd', synchronized: true });
  });

  it('answers on this machine, whatever it runs', async () => {
    const r = await probeClockSync();
    expect(['timedatectl', 'timesyncd', 'unknown']).toContain(r.source);
  });
});
