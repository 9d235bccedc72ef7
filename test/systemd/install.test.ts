import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { tempDir } from '../daemon/daemon-harness.js';

const root = packageRoot();
const script = join(root, 'systemd', 'install.sh');
// No debootstrap here (and a chroot would need the network): the scratch root is a DESTDIR.
const missing = !existsSync(join(root, 'dist', 'node-daemon', 'cli.js')) ? 'dist/ is not built (npm run build)' : undefined;

function install(args: string[]): { out: string; status: number | null } {
  const r = spawnSync('sh', [script, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { out: r.stdout + r.stderr, status: r.status };
}

/** Every path under `dir` with its type, mode, size, mtime and link target: what "nothing changed" compares. */
function manifest(dir: string): string {
  const r = spawnSync('find', [dir, '-printf', '%P %y %m %s %T@ %l\n'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return r.stdout.split('\n').sort().join('\n');
}

describe.skipIf(missing !== undefined)(`install.sh into a scratch root (DESTDIR)${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const t = tempDir('fenghuo-install-');
  const dest = join(t.dir, 'root');
  afterAll(() => t.cleanup());

  it('installs the app, units, udev rules, users and the commented config; says what a real root would do', () => {
    const r = install(['--destdir', dest, '--hub']);
    expect(r.status, r.out).toBe(0);
    const current = readlinkSync(join(dest, 'opt/fenghuo/current'));
    expect(current).toMatch(/^releases\/\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    for (const f of [
      'opt/fenghuo/current/bin/fenghuo.js',
      'opt/fenghuo/current/dist/node-daemon/cli.js',
      'opt/fenghuo/current/node_modules/better-sqlite3/package.json',
      'usr/lib/systemd/system/fenghuo.service',
      'usr/lib/systemd/system/fenghuo-hub.service',
      'usr/lib/udev/rules.d/70-fenghuo.rules',
      'usr/lib/sysusers.d/fenghuo.conf',
      'usr/lib/tmpfiles.d/fenghuo.conf',
      'etc/fenghuo/fenghuo.yaml',
      'etc/fenghuo/hub.yaml',
    ]) expect(existsSync(join(dest, f)), f).toBe(true);
    // Production dependencies only.
    expect(existsSync(join(dest, 'opt/fenghuo/current/node_modules/vitest'))).toBe(false);
    expect(readlinkSync(join(dest, 'usr/local/bin/fenghuo'))).toBe('/opt/fenghuo/current/bin/fenghuo.js');
    expect(lstatSync(join(dest, 'etc/fenghuo/fenghuo.yaml')).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(dest, 'etc/fenghuo/fenghuo.yaml'), 'utf8')).toMatch(/^# fenghuo box configuration/);
    expect(readFileSync(join(dest, 'usr/lib/sysusers.d/fenghuo.conf'), 'utf8')).toMatch(/^u fenghuo\s/m);
    for (const s of ['apt-get install', 'systemd-sysusers', 'systemctl daemon-reload']) expect(r.out).toMatch(new RegExp(`skipped \\(not a real root\\): ${s}`));
  });

  it('the installed app runs: its fenghuo checks the config install.sh wrote', () => {
    const cli = join(dest, 'opt/fenghuo/current/bin/fenghuo.js');
    const r = spawnSync(process.execPath, [cli, 'check-config', join(dest, 'etc/fenghuo/fenghuo.yaml')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/^ok: /);
    expect(r.status).toBe(0);
  });

  it('a second run changes nothing: same tree, same mtimes, "nothing changed"; the config is the technician\'s', () => {
    writeFileSync(join(dest, 'etc/fenghuo/fenghuo.yaml'), '# edited by the technician\n', { mode: 0o640 });
    const before = manifest(dest);
    const r = install(['--destdir', dest, '--hub']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/^nothing changed$/m);
    expect(r.out).not.toMatch(/^changed:/m);
    expect(manifest(dest)).toBe(before);
  });

  it('--uninstall keeps the config and the data; --uninstall --purge removes them', () => {
    const data = join(dest, 'var/lib/fenghuo');
    spawnSync('mkdir', ['-p', data]);
    writeFileSync(join(data, 'fenghuo.db'), 'readings');
    const r = install(['--destdir', dest, '--uninstall']);
    expect(r.status, r.out).toBe(0);
    for (const f of ['opt/fenghuo', 'usr/lib/systemd/system/fenghuo.service', 'usr/lib/udev/rules.d/70-fenghuo.rules', 'usr/local/bin/fenghuo']) {
      expect(existsSync(join(dest, f)), f).toBe(false);
    }
    expect(readFileSync(join(data, 'fenghuo.db'), 'utf8')).toBe('readings');
    expect(existsSync(join(dest, 'etc/fenghuo/fenghuo.yaml'))).toBe(true);
    const p = install(['--destdir', dest, '--uninstall', '--purge']);
    expect(p.status, p.out).toBe(0);
    expect(existsSync(data)).toBe(false);
    expect(existsSync(join(dest, 'etc/fenghuo'))).toBe(false);
  });
});
