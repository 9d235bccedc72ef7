import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../core/paths.js';
import { packageVersionIn, type BoxPaths } from './releases.js';

const run = promisify(execFile);

/**
 * The release file the technician gives `fenghuo update`: a release tarball (fenghuo-VERSION-ARCH.tar.gz, top
 * directory `fenghuo/`) or the .deb systemd/build-deb.sh makes. A .deb is unpacked, not dpkg-installed: dpkg would
 * switch `current` and restart the service itself, with no way back. Its release directory is packed as a tarball
 * and installed like one, so both go through install.sh --from-tarball.
 */
export interface ReleaseFile {
  /** What install.sh --from-tarball gets. */
  readonly tarball: string;
  readonly version: string;
  /** The install.sh to run: the new release's own (its units), else the running release's. */
  readonly installScript: string;
}

async function tar(args: readonly string[]): Promise<void> {
  await run('tar', [...args], { maxBuffer: 16 * 1024 * 1024 });
}

/** The directory holding bin/fenghuo.js and dist/ in an unpacked tarball (the top dir, or the unpack dir itself). */
function releaseTop(dir: string): string | undefined {
  const isRelease = (d: string): boolean => existsSync(join(d, 'bin', 'fenghuo.js')) && existsSync(join(d, 'dist', 'node-daemon', 'cli.js'));
  if (isRelease(dir)) return dir;
  const sub = readdirSync(dir, { withFileTypes: true }).find((e) => e.isDirectory());
  return sub !== undefined && isRelease(join(dir, sub.name)) ? join(dir, sub.name) : undefined;
}

/** Unpacks `file` into `work` (a fresh directory) far enough to check it is a fenghuo release and read its version. */
export async function openReleaseFile(file: string, work: string): Promise<ReleaseFile> {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  let tarball = file;
  let top: string | undefined;
  if (file.endsWith('.deb')) {
    const unpacked = join(work, 'deb');
    mkdirSync(unpacked, { recursive: true });
    await run('dpkg-deb', ['-x', file, unpacked]);
    const opt = join(unpacked, 'opt', 'fenghuo');
    let id: string;
    try {
      id = basename(readlinkSync(join(opt, 'current')));
    } catch {
      throw new Error(`${file}: no opt/fenghuo/current in this package: not a fenghuo .deb`);
    }
    top = releaseTop(join(opt, 'releases', id));
    if (top === undefined) throw new Error(`${file}: opt/fenghuo/releases/${id} is not a fenghuo release`);
    tarball = join(work, `${id}.tar.gz`);
    await tar(['-C', join(opt, 'releases'), '-czf', tarball, '--transform', `s#^${id}#fenghuo#`, id]);
  } else {
    const unpacked = join(work, 'tarball');
    mkdirSync(unpacked, { recursive: true });
    try {
      await tar(['-xzf', file, '-C', unpacked]);
    } catch (err) {
      throw new Error(`${file}: cannot unpack it as a release tarball (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
    top = releaseTop(unpacked);
    if (top === undefined) throw new Error(`${file} is not a fenghuo release (no bin/fenghuo.js, dist/)`);
  }
  const own = join(top, 'systemd', 'install.sh');
  const running = join(packageRoot(), 'systemd', 'install.sh');
  const installScript = existsSync(own) ? own : running;
  if (!existsSync(installScript)) throw new Error(`neither ${file} nor the running release (${packageRoot()}) has systemd/install.sh`);
  return { tarball, version: packageVersionIn(top), installScript };
}

/** Where the running box's `fenghuo` command link is (install.sh --bindir): /usr/local/bin, or /usr/bin of a .deb. */
function bindirOf(box: BoxPaths): string {
  const root = box.root === '' ? '/' : box.root;
  for (const dir of ['/usr/local/bin', '/usr/bin']) {
    try {
      if (readlinkSync(join(root, dir, 'fenghuo')) === join(box.prefix, 'current', 'bin', 'fenghuo.js')) return dir;
    } catch {
      // not there
    }
  }
  return '/usr/local/bin';
}

/**
 * install.sh --from-tarball: puts the release in `<prefix>/releases/`, switches `current`, keeps the release before
 * (the one to go back to), updates units and rules; --no-start: the update restarts the daemon itself.
 */
export async function installRelease(release: ReleaseFile, box: BoxPaths): Promise<{ readonly output: string }> {
  const args = [release.installScript, '--from-tarball', release.tarball, '--prefix', box.prefix, '--bindir', bindirOf(box), '--no-apt', '--no-start'];
  if (box.root !== '') args.push('--destdir', box.root);
  try {
    const { stdout, stderr } = await run('sh', args, { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
    return { output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: unknown; stderr?: unknown; message?: unknown };
    const said = `${typeof e.stdout === 'string' ? e.stdout : ''}${typeof e.stderr === 'string' ? e.stderr : ''}`.trim();
    throw new Error(`install.sh failed: ${said.split('\n').slice(-5).join(' | ') || String(e.message ?? err)}`);
  }
}
