import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The releases install.sh lays out: `<prefix>/releases/<version>-<digest>/` and the symlink `<prefix>/current`
 * (relative, `releases/<id>`), which the unit's ExecStart and the `fenghuo` command go through.
 */

/** A box's places, as seen from this process: `root` is install.sh's DESTDIR ('' on a real box). */
export interface BoxPaths {
  readonly root: string;
  /** The prefix as install.sh takes it (absolute, without root): /opt/fenghuo. */
  readonly prefix: string;
  readonly dataDir: string;
  /** The daemon's config file, when there is one (its http.listen tells where health answers). */
  readonly configPath?: string;
}

export const DEFAULT_PREFIX = '/opt/fenghuo';
export const DEFAULT_DATA_DIR = '/var/lib/fenghuo';
export const DEFAULT_CONFIG = '/etc/fenghuo/fenghuo.yaml';

export const RELEASE_ID = /^(.+)-([0-9a-f]{12})$/;

export function prefixDir(box: Pick<BoxPaths, 'root' | 'prefix'>): string {
  return join(box.root === '' ? '/' : box.root, box.prefix);
}

export function releaseDir(box: Pick<BoxPaths, 'root' | 'prefix'>, id: string): string {
  return join(prefixDir(box), 'releases', id);
}

/** The release id `current` points to, or undefined when there is no `current`. */
export function currentRelease(box: Pick<BoxPaths, 'root' | 'prefix'>): string | undefined {
  try {
    return basename(readlinkSync(join(prefixDir(box), 'current')));
  } catch {
    return undefined;
  }
}

export function installedReleases(box: Pick<BoxPaths, 'root' | 'prefix'>): string[] {
  const dir = join(prefixDir(box), 'releases');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && RELEASE_ID.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Points `current` at `releases/<id>` the way install.sh does: a new symlink renamed over the old one (atomic). */
export function switchCurrent(box: Pick<BoxPaths, 'root' | 'prefix'>, id: string): void {
  if (!existsSync(releaseDir(box, id))) throw new Error(`no release ${id} in ${join(prefixDir(box), 'releases')}`);
  const link = join(prefixDir(box), 'current');
  const tmp = `${link}.new.${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(`releases/${id}`, tmp);
  renameSync(tmp, link);
}

/** The `version` of a package.json in `dir`, or 'unknown'. */
export function packageVersionIn(dir: string): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // fall through
  }
  return 'unknown';
}

/** The release directory `dir` (a package root) is, when it is an installed release (`…/releases/<id>`). */
export function installedReleaseOf(dir: string): { readonly id: string; readonly dir: string } | undefined {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return undefined;
  }
  return basename(dirname(real)) === 'releases' && RELEASE_ID.test(basename(real)) ? { id: basename(real), dir: real } : undefined;
}
