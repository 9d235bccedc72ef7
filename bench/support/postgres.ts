import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package: `initdb` into a temp dir, then the
 * server started as an unprivileged user (PostgreSQL refuses to run as root: as root the helper runs it as the
 * `postgres` system user the package creates, else `nobody`, through util-linux's `setpriv` (or `runuser -u USER --`
 * where setpriv is missing); not as root, as the current user). It listens on 127.0.0.1 at a free TCP port, with
 * its Unix socket in the temp dir (never Debian's /var/run/postgresql), and trusts every local connection: user
 * `postgres`, no password.
 *
 * Not `pg_ctl start`: pg_ctl daemonizes the postmaster, whose parent then is pid 1; a postmaster killed by `kill9()`
 * stays a zombie until pid 1 reaps it, and PostgreSQL will not start on a data dir whose lock file names a pid that
 * still exists, zombie or not. Here pid 1 reaps about a second late; in a container whose pid 1 is npm or node it
 * never does, and `restart()` after `kill9()` would fail for ever. So the helper runs `postgres -D DATA` as its own
 * child (the pid in the lock file is the child's, and Node reaps it), waits for the lock file to say `ready` as
 * `pg_ctl -w` does, and stops it with the signals pg_ctl would send (SIGINT fast, SIGQUIT immediate).
 *
 * Binaries: the newest /usr/lib/postgresql/<major>/bin with initdb and postgres. Never found on PATH: this machine
 * also has /usr/local/bin/initdb (and pg_ctl, postgres), symlinks to /usr/lib/postgresql/15/bin, which another
 * machine may point elsewhere; `postgresAvailable()` says what it found there in `notes`.
 *
 * Speed without lying about crashes: `fsync = off` and `full_page_writes = off` only give up durability against an
 * operating-system crash or power loss (the page cache survives a killed process, and torn pages only come from a
 * lost page cache), so `kill9()` loses no committed row, as in production. `synchronous_commit` stays on: off, a
 * commit acknowledged to the client could still be lost to a SIGKILL of the server, and the hub's crash tests would
 * pass or fail by luck. Also: initdb --no-sync, a small shared_buffers, jit off, C locale, UTC, English messages.
 *
 * Cleanup: `close()` stops the server and removes the temp dir; an exiting test process kills the servers it left
 * and removes their dirs; and a later run removes the dirs (killing their servers) of runs whose process died
 * without either (a SIGKILLed or crashed vitest worker): the temp dir is named
 * `fenghuo-pg-<pid-namespace inode>-<creator pid>-XXXXXX`.
 */

export interface PostgresOptions {
  /** The database to create (besides `postgres`). Default `fenghuo`. */
  readonly database?: string;
  /** Extra server settings (postgresql.conf syntax values), applied after the helper's own. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** The pid written into the temp dir's name, default this process's. Only tests of the stale sweep pass another. */
  readonly ownerPid?: number;
}

export interface PostgresCluster {
  /** Always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The superuser, `postgres` (trusted: no password). */
  readonly user: string;
  /** `postgresql://postgres@127.0.0.1:PORT/DATABASE`, for `new pg.Client({ connectionString })`. */
  readonly connectionString: string;
  /** The temp dir holding `data/`, `sock/` and `server.log`. */
  readonly dir: string;
  readonly dataDir: string;
  /** The Unix socket's directory (a `host` for libpq and `pg` too). */
  readonly socketDir: string;
  /** The OS user the server runs as. */
  readonly osUser: string;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  /** A clean shutdown (SIGINT, PostgreSQL's fast shutdown): data kept, `restart()` brings it back. Idempotent. */
  stop(): Promise<void>;
  /**
   * SIGKILL to the postmaster, as in a crash: clients lose their connections, and its backends, which notice their
   * postmaster is gone, exit (those still there after 5 s get SIGKILL too). `restart()` then runs crash recovery.
   */
  kill9(): Promise<void>;
  /** Starts the server again on the same data dir and port (stopping it first if it runs), waiting until it accepts connections. */
  restart(): Promise<void>;
  /** The end of the server's log, for a failing test's message. */
  log(maxChars?: number): string;
  /** Stops the server (immediately) and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

export type PostgresAvailability =
  | { readonly ok: true; readonly binDir: string; readonly version: string; readonly osUser: string; readonly notes: readonly string[] }
  | { readonly ok: false; readonly reason: string; readonly notes: readonly string[] };

const APT_LINE = 'apt-get update && apt-get install -y postgresql';
const DEBIAN_ROOT = '/usr/lib/postgresql';
const DIR_PREFIX = 'fenghuo-pg-';
const DIR_RE = /^fenghuo-pg-(\d+)-(\d+)-/;

function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

/** Whether a process runs: exists and is not a zombie (an exited postmaster waits for its reaper, pid 1, as one). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isExecutable(p: string): boolean {
  try {
    return statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The newest /usr/lib/postgresql/<major>/bin holding the server binaries, or undefined. */
export function findPostgresBinDir(): string | undefined {
  let majors: string[];
  try {
    majors = readdirSync(DEBIAN_ROOT).filter((d) => /^\d+(\.\d+)?$/.test(d));
  } catch {
    return undefined;
  }
  majors.sort((a, b) => Number(b) - Number(a));
  for (const m of majors) {
    const bin = join(DEBIAN_ROOT, m, 'bin');
    if (['initdb', 'postgres', 'createdb'].every((b) => isExecutable(join(bin, b)))) return bin;
  }
  return undefined;
}

/** What /usr/local/bin/initdb is, if it exists: the helper does not use it. */
function localInitdbNote(binDir: string | undefined): string[] {
  const p = '/usr/local/bin/initdb';
  if (!existsSync(p)) return [];
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    return [`${p} exists but does not resolve; not used`];
  }
  if (binDir && real === join(binDir, 'initdb')) return [`${p} is a link to ${real}, the same binary the helper uses from ${binDir}`];
  return [`${p} resolves to ${real}; not used: the helper takes Debian's ${binDir ?? `${DEBIAN_ROOT}/<major>/bin`}`];
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: NodeJS.ErrnoException;
}

function run(cmd: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      [...args],
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC' } },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        if (e && typeof e.code === 'string') resolve({ code: null, stdout, stderr, spawnError: e });
        else resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function lookupUser(name: string): OsUser | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] !== undefined && f[3] !== undefined) return { name, uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no passwd file: handled by the caller
  }
  return undefined;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * How to drop from root to the server's user: util-linux's setpriv, which execs the command itself (so the server
 * stays our direct child), or else runuser, which waits for it (so runuser reaps it).
 */
function findDropper(): { kind: 'setpriv' | 'runuser'; path: string } | undefined {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find(isExecutable);
  if (setpriv) return { kind: 'setpriv', path: setpriv };
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find(isExecutable);
  return runuser ? { kind: 'runuser', path: runuser } : undefined;
}

const SERVER_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };

let availability: Promise<PostgresAvailability> | undefined;

/** Whether a cluster can be made here, with the exact reason when not. Cached per process. */
export function postgresAvailable(): Promise<PostgresAvailability> {
  availability ??= probe();
  return availability;
}

async function probe(): Promise<PostgresAvailability> {
  const binDir = findPostgresBinDir();
  const notes = localInitdbNote(binDir);
  if (process.platform !== 'linux') return { ok: false, reason: `the helper uses Debian's PostgreSQL packaging (this is ${process.platform})`, notes };
  if (!binDir) {
    const how = isRoot() ? APT_LINE : `as root: ${APT_LINE}`;
    return { ok: false, reason: `PostgreSQL server binaries (initdb, postgres, createdb) not found under ${DEBIAN_ROOT}/<major>/bin: install Debian's postgresql, ${how}`, notes };
  }
  let osUser: string;
  if (isRoot()) {
    const user = lookupUser('postgres') ?? lookupUser('nobody');
    if (!user) return { ok: false, reason: 'running as root, and neither the postgres nor the nobody user exists to run the server as (PostgreSQL refuses root)', notes };
    if (!findDropper()) return { ok: false, reason: `running as root, and neither setpriv nor runuser (util-linux) is there to drop to the ${user.name} user`, notes };
    osUser = user.name;
  } else {
    osUser = process.env.USER ?? `uid ${process.getuid?.()}`;
    try {
      rmSync(mkdtempSync(join(tmpdir(), 'fenghuo-pg-probe-')), { recursive: true });
    } catch (e) {
      return { ok: false, reason: `not root, and cannot make a temp dir under ${tmpdir()}: ${(e as Error).message}`, notes };
    }
  }
  const v = await run(join(binDir, 'postgres'), ['--version']);
  if (v.code !== 0) return { ok: false, reason: `${join(binDir, 'postgres')} --version failed: ${v.spawnError?.message ?? v.stderr.trim()}`, notes };
  return { ok: true, binDir, version: v.stdout.trim(), osUser, notes };
}

/** A TCP port free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses; the last ')' ends it.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** The postmaster's pid from its lock file, if the file exists and that process runs in this data dir. */
function runningPostmaster(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!(pid > 0) || !pidAlive(pid)) return undefined;
  // The postmaster's working directory is its data dir: this guards against a reused pid.
  try {
    if (realpathSync(`/proc/${pid}/cwd`) !== realpathSync(dataDir)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

/** SIGKILL to the postmaster and its children (synchronously signalled), for exit hooks and the stale sweep. */
function killTree(pid: number): number[] {
  const kids = childrenOf(pid);
  signal(pid, 'SIGKILL');
  for (const k of kids) signal(k, 'SIGKILL');
  return [pid, ...kids];
}

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (pids.some(pidAlive)) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Removes the temp dirs of clusters whose creating process is dead (same pid namespace), killing their servers
 * first, and kills the servers of dead runs whose dir is gone already. Returns the dirs removed. Clusters of live
 * processes, or of other pid namespaces, are left alone.
 */
export async function removeStalePostgres(): Promise<string[]> {
  const ours = pidNamespace();
  const removed: string[] = [];
  // Servers of dead runs whose dir is already gone (removed by hand, say) are found by their working directory.
  const cwdRe = new RegExp(`^${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/fenghuo-pg-(\\d+)-(\\d+)-[^/]+/data( \\(deleted\\))?$`);
  const orphans: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${e}/cwd`);
    } catch {
      continue;
    }
    const m = cwdRe.exec(cwd);
    if (m && m[1] === ours && !pidAlive(Number(m[2])) && !existsSync(cwd)) orphans.push(Number(e));
  }
  for (const p of orphans) signal(p, 'SIGKILL');
  if (orphans.length > 0) await waitGone(orphans, 5_000);
  let entries: string[];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    return removed;
  }
  for (const e of entries) {
    const m = DIR_RE.exec(e);
    if (!m || m[1] !== ours || pidAlive(Number(m[2]))) continue;
    const dir = join(tmpdir(), e);
    const pm = runningPostmaster(join(dir, 'data'));
    if (pm !== undefined) await waitGone(killTree(pm), 5_000);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

// ---- exit hook ----

const openClusters = new Map<string, string>(); // dir -> data dir
let exitHooked = false;
let swept: Promise<unknown> | undefined;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const [dir, dataDir] of openClusters) {
      const pm = runningPostmaster(dataDir);
      if (pm !== undefined) killTree(pm);
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a dying backend may still write; the next run's sweep takes the rest
      }
    }
  });
}

function confValue(v: string | number | boolean): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return `'${v.replace(/'/g, "''")}'`;
}

/** Makes and starts a cluster. Check `postgresAvailable()` first; this rejects with its reason otherwise. */
export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresCluster> {
  const avail = await postgresAvailable();
  if (!avail.ok) throw new Error(avail.reason);
  swept ??= removeStalePostgres().catch(() => []);
  await swept;
  hookExit();

  const { binDir } = avail;
  const database = opts.database ?? 'fenghuo';
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database name must be a plain lower-case identifier, got ${database}`);
  const user = 'postgres';
  const asUser = isRoot() ? (lookupUser('postgres') ?? lookupUser('nobody')) : undefined;
  const dropper = findDropper();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${pidNamespace()}-${opts.ownerPid ?? process.pid}-`));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const logFile = join(dir, 'server.log');
  openClusters.set(dir, dataDir);

  /** The command line that runs a server binary as the server's user. */
  const asServer = (bin: string, args: readonly string[]): [string, string[]] => {
    const path = join(binDir, bin);
    if (!asUser || !dropper) return [path, [...args]];
    // --pdeathsig: when the test process dies (even by SIGKILL), the kernel sends the server SIGQUIT, PostgreSQL's
    // immediate shutdown; the next run's sweep removes the dir.
    if (dropper.kind === 'setpriv') return [dropper.path, [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, '--clear-groups', '--pdeathsig', 'SIGQUIT', '--', path, ...args]];
    return [dropper.path, ['-u', asUser.name, '--', path, ...args]];
  };
  const fail = (what: string, r: RunResult): Error => new Error(`${what} failed (exit ${r.code}): ${(r.spawnError?.message ?? `${r.stderr}${r.stdout}`).trim().slice(-2000)}`);
  const log = (maxChars = 4000): string => {
    try {
      return readFileSync(logFile, 'utf8').slice(-maxChars);
    } catch {
      return '';
    }
  };
  const discard = async (): Promise<void> => {
    await stopServer('SIGQUIT');
    openClusters.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  // ---- the server process: our own child (see startPostgres's doc for why not pg_ctl) ----

  let server: ChildProcess | undefined;
  let serverGone: Promise<void> = Promise.resolve();

  /** Starts postgres and waits until its lock file says ready; resolves with an error text instead of throwing. */
  const startServer = async (): Promise<string | undefined> => {
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      const [cmd, args] = asServer('postgres', ['-D', dataDir]);
      child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', fd, fd], env: SERVER_ENV });
    } finally {
      closeSync(fd);
    }
    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));
    server = child;
    serverGone = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    // A running server must not keep a test process alive: close() or the exit hook ends it.
    child.unref();
    const end = Date.now() + 60_000;
    for (;;) {
      if (spawnError) return `could not start postgres: ${spawnError.message}`;
      if (child.exitCode !== null || child.signalCode !== null) return `postgres exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log(2000)}`;
      if (postmasterStatus(dataDir) === 'ready' && runningPostmaster(dataDir) !== undefined) return undefined;
      if (Date.now() > end) {
        await stopServer('SIGKILL');
        return `postgres not ready within 60 s:\n${log(2000)}`;
      }
      await sleep(20);
    }
  };

  /**
   * Signals the postmaster (SIGINT: fast shutdown, SIGQUIT: immediate, SIGKILL: a crash) and waits until it and our
   * child are gone and reaped, so that the next start finds no live pid in the lock file. SIGKILL after 30 s.
   */
  const stopServer = async (sig: 'SIGINT' | 'SIGQUIT' | 'SIGKILL'): Promise<void> => {
    const pm = runningPostmaster(dataDir);
    const kids = pm === undefined ? [] : childrenOf(pm);
    if (pm !== undefined) signal(pm, sig);
    const reaped = Promise.race([serverGone.then(() => true), sleep(30_000).then(() => false)]);
    if (!(await reaped) || !(await waitGone(pm === undefined ? [] : [pm], 5_000))) {
      if (pm !== undefined) killTree(pm);
      server?.kill('SIGKILL');
      await serverGone;
    }
    // Backends leave by themselves once their postmaster is gone; SIGKILL the slow ones.
    if (!(await waitGone(kids, 5_000))) for (const k of kids) signal(k, 'SIGKILL');
    await waitGone(kids, 5_000);
  };

  let port = 0;
  try {
    mkdirSync(socketDir);
    if (asUser) {
      chownSync(dir, asUser.uid, asUser.gid);
      chownSync(socketDir, asUser.uid, asUser.gid);
    }
    const [cmd, args] = asServer('initdb', ['-D', dataDir, '-U', user, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    const init = await run(cmd, args, { cwd: dir });
    if (init.code !== 0) throw fail('initdb', init);
  } catch (e) {
    openClusters.delete(dir);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: socketDir,
    fsync: false,
    full_page_writes: false,
    synchronous_commit: true,
    shared_buffers: '16MB',
    max_connections: 50,
    jit: false,
    timezone: 'UTC',
    lc_messages: 'C',
    log_timezone: 'UTC',
    log_min_messages: 'warning',
    ...opts.settings,
  };

  const writeConf = (): void => {
    // Appended, so these lines win over initdb's defaults above them (and over a port tried before).
    const lines = Object.entries({ ...settings, port }).map(([k, v]) => `${k} = ${confValue(v)}`);
    appendFileSync(join(dataDir, 'postgresql.conf'), `\n# fenghuo test helper\n${lines.join('\n')}\n`);
  };

  let lastErr: string | undefined = 'not tried';
  // A port free a moment ago may be taken by the time the server binds it: then another.
  for (let attempt = 0; attempt < 5 && lastErr !== undefined; attempt++) {
    port = await freePort();
    writeConf();
    lastErr = await startServer();
    if (lastErr !== undefined && !/could not (bind|create listen)|Address already in use/i.test(lastErr)) break;
  }
  if (lastErr !== undefined) {
    await discard();
    throw new Error(`PostgreSQL did not start: ${lastErr.slice(-3000)}`);
  }

  if (database !== 'postgres') {
    const r = await run(join(binDir, 'createdb'), ['-h', socketDir, '-p', String(port), '-U', user, database]);
    if (r.code !== 0) {
      await discard();
      throw fail('createdb', r);
    }
  }

  let closed: Promise<void> | undefined;
  const cluster: PostgresCluster = {
    host: '127.0.0.1',
    port,
    database,
    user,
    connectionString: `postgresql://${user}@127.0.0.1:${port}/${database}`,
    dir,
    dataDir,
    socketDir,
    osUser: asUser?.name ?? avail.osUser,
    pid: () => runningPostmaster(dataDir),
    stop: () => stopServer('SIGINT'),
    kill9: () => stopServer('SIGKILL'),
    restart: async () => {
      if (closed) throw new Error('cluster is closed');
      await stopServer('SIGINT');
      const err = await startServer();
      if (err !== undefined) throw new Error(`PostgreSQL did not restart: ${err}`);
    },
    log,
    close: () => {
      closed ??= discard();
      return closed;
    },
  };
  return cluster;
}

/** The 8th line of postmaster.pid: `starting`, `ready`, `stopping`, … */
function postmasterStatus(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim();
  } catch {
    return undefined;
  }
}
