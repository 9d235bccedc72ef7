// fenghuo update / version on the command line (in process), and a release .deb: unpacked (not dpkg-installed),
// repacked as a tarball and installed by the real install.sh like one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../node-daemon/cli.js';
import { openReleaseFile } from '../../node-daemon/update/install-release.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { buildReleaseTarball, installTarball } from './update-rig.js';

async function fenghuo(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function tmp(prefix: string): string {
  const t = tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('fenghuo update: the command line', () => {
  it('bad arguments: exit 2 saying why', async () => {
    expect((await fenghuo('update')).err).toMatch(/update needs the release file/);
    expect((await fenghuo('update')).code).toBe(2);
    expect((await fenghuo('update', '--rollback', 'x.tar.gz')).err).toMatch(/--rollback takes no file/);
    expect((await fenghuo('update', 'x.tar.gz', '--restore-backup')).err).toMatch(/--restore-backup goes with --rollback/);
    expect((await fenghuo('update', 'x.tar.gz', '--deadline-s', '0')).code).toBe(2);
    expect((await fenghuo('update', 'x.tar.gz', '--bogus')).code).toBe(2);
  });

  it('no installed box under the root: exit 1, nothing changed', async () => {
    const root = tmp('fenghuo-update-cli-');
    const data = join(root, 'data');
    mkdirSync(data);
    const none = await fenghuo('update', join(root, 'missing.tar.gz'), '--destdir', root, '--data', data, '--health-url', 'http://127.0.0.1:9');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/update refused: no \/opt\/fenghuo\/current here/);
  });

  it('--version prints the version only; version adds the release, schema and last update', async () => {
    const v = await fenghuo('--version');
    expect(v.out).toMatch(/^fenghuo \d+\.\d+\.\d+\S*$/);
    const data = tmp('fenghuo-version-');
    const d = await fenghuo('version', '--data', data);
    expect(d.code).toBe(0);
    expect(d.out.split('\n')).toEqual([v.out, expect.stringMatching(/^ {2}release: +not an installed release \(running from /), `  database:    no database in ${data}`, '  last update: none recorded']);
  });
});

describe('a release .deb', () => {
  it('is unpacked, packed as a tarball and installed by install.sh like one', async () => {
    const work = tmp('fenghuo-deb-');
    // The layout build-deb.sh gives a .deb: opt/fenghuo/releases/<id> and opt/fenghuo/current (without its apt parts).
    const pkgRoot = join(work, 'pkg');
    const tarball = buildReleaseTarball(join(work, 'fenghuo-9.8.7.tar.gz'), '9.8.7');
    installTarball(pkgRoot, tarball);
    const id = readlinkSync(join(pkgRoot, 'opt/fenghuo/current')).replace(/^releases\//, '');
    mkdirSync(join(pkgRoot, 'DEBIAN'));
    writeFileSync(join(pkgRoot, 'DEBIAN', 'control'), 'Package: fenghuo\nVersion: 9.8.7\nArchitecture: all\nMaintainer: test\nDescription: test\n');
    for (const d of ['etc', 'usr']) spawnSync('rm', ['-rf', join(pkgRoot, d)]);
    const deb = join(work, 'fenghuo_9.8.7_all.deb');
    const built = spawnSync('dpkg-deb', ['--build', '--root-owner-group', pkgRoot, deb], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);

    const opened = await openReleaseFile(deb, join(work, 'open'));
    expect(opened.version).toBe('9.8.7');
    expect(opened.installScript).toMatch(/\/systemd\/install\.sh$/);
    const box = join(work, 'box');
    installTarball(box, opened.tarball);
    // The same files, so the same content-addressed release directory as in the package.
    expect(readlinkSync(join(box, 'opt/fenghuo/current'))).toBe(`releases/${id}`);
  }, 60_000);

  it('a file that is not a release is refused before anything happens', async () => {
    const work = tmp('fenghuo-notrel-');
    const junk = join(work, 'junk.tar.gz');
    mkdirSync(join(work, 'x'));
    symlinkSync('/etc/hostname', join(work, 'x', 'hostname'));
    spawnSync('tar', ['-C', work, '-czf', junk, 'x']);
    await expect(openReleaseFile(junk, join(work, 'open'))).rejects.toThrow(/is not a fenghuo release/);
  });
});
