import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../node-daemon/core/paths.js';

const dir = join(packageRoot(), 'systemd');
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const missing = analyze === undefined ? 'systemd-analyze is missing (apt-get install systemd)' : undefined;

describe.skipIf(missing !== undefined)(`systemd units${missing ? ` (skipped: ${missing})` : ''}`, () => {
  for (const unit of ['fenghuo.service', 'fenghuo-hub.service']) {
    it(`${unit}: systemd-analyze verify finds nothing`, () => {
      const r = spawnSync(analyze!, ['verify', join(dir, unit)], { encoding: 'utf8' });
      expect(r.stderr + r.stdout).toBe('');
      expect(r.status).toBe(0);
    });

    it(`${unit}: systemd-analyze security --offline=yes scores 2.5 or better ("OK")`, () => {
      const r = spawnSync(analyze!, ['security', '--offline=yes', '--no-pager', join(dir, unit)], { encoding: 'utf8' });
      const line = r.stdout.split('\n').find((l) => l.includes('Overall exposure level')) ?? '';
      const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\w+)/.exec(line);
      // Printed on purpose: the score is the figure the issue asks for.
      console.log(`${unit}: ${line.replace(/^→\s*/, '')}`);
      console.log(r.stdout.split('\n').filter((l) => l.startsWith('✗')).map((l) => '  ' + l.replace(/\s{2,}/g, '  ')).join('\n'));
      expect(m, r.stdout + r.stderr).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(2.5);
      expect(['SAFE', 'OK']).toContain(m![2]);
    });
  }

  it('fenghuo.service: the hardening the issue names, and no MemoryDenyWriteExecute (V8 needs executable memory)', () => {
    const text = readFileSync(join(dir, 'fenghuo.service'), 'utf8');
    const setting = (key: string): string[] => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
    expect(setting('Type')).toEqual(['notify']);
    expect(setting('NotifyAccess')).toEqual(['all']);
    expect(setting('WatchdogSec')).toEqual(['30s']);
    expect(setting('Restart')).toEqual(['always']);
    expect(setting('StartLimitBurst')).toHaveLength(1);
    expect(setting('ExecStart')[0]).toMatch(/^\/usr\/bin\/node --max-semi-space-size=1 --optimize-for-size --no-opt --no-sparkplug \/opt\/fenghuo\/current\/bin\/fenghuo\.js run --config \/etc\/fenghuo\/fenghuo\.yaml --data \/var\/lib\/fenghuo$/);
    expect(setting('User')).toEqual(['fenghuo']);
    expect(setting('ProtectSystem')).toEqual(['strict']);
    expect(setting('StateDirectory')).toEqual(['fenghuo']);
    expect(setting('NoNewPrivileges')).toEqual(['yes']);
    expect(setting('PrivateTmp')).toEqual(['yes']);
    expect(setting('CapabilityBoundingSet')).toEqual(['']);
    expect(setting('SystemCallFilter')).toContain('@system-service');
    expect(setting('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6 AF_NETLINK']);
    expect(setting('MemoryDenyWriteExecute')).toEqual([]);
  });
});
