// The update tests' box: a scratch root where the real systemd/install.sh installs release tarballs built from this
// checkout (bin/, dist/, config/, systemd/, package.json; node_modules linked to the checkout's, whose native
// modules are built for this machine), a service rig (service-rig-child.ts) running `<prefix>/current` as systemd
// would, and the demo's simulated Modbus site for its sensors.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { demoSite, type DemoSite } from '../../node-daemon/sim/demo-site.js';
import { testHttpYaml } from '../helpers/auth.js';
import { testChildScript } from '../helpers/dist-build.js';
import { freeTcpPort } from '../helpers/pymodbus.js';
import { waitUntil } from '../daemon/daemon-harness.js';

const root = packageRoot();

/** A release tarball of this checkout as systemd/build-deb.sh lays it out (top dir `fenghuo/`), `version` in its package.json. */
export function buildReleaseTarball(out: string, version: string, patch?: (top: string) => void): string {
  const stage = `${out}.stage`;
  const top = join(stage, 'fenghuo');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(top, { recursive: true });
  for (const f of ['bin', 'dist', 'config', 'systemd']) {
    cpSync(join(root, f), join(top, f), { recursive: true, filter: (src) => !src.startsWith(join(root, 'dist', 'bench')) });
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(top, 'package.json'), `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
  symlinkSync(join(root, 'node_modules'), join(top, 'node_modules'));
  patch?.(top);
  const tar = spawnSync('tar', ['-C', stage, '-czf', out, 'fenghuo'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  rmSync(stage, { recursive: true, force: true });
  return out;
}

/** Replaces `from` by `to` in one file of an unpacked release; throws when `from` is not there (the patch is stale). */
export function patchFile(top: string, rel: string, from: string | RegExp, to: string): void {
  const path = join(top, rel);
  const text = readFileSync(path, 'utf8');
  const patched = text.replace(from, to);
  if (patched === text) throw new Error(`patch of ${rel}: ${String(from)} not found`);
  writeFileSync(path, patched);
}

export interface Box {
  readonly root: string;
  readonly prefixDir: string;
  readonly dataDir: string;
  readonly configFile: string;
  readonly url: string;
  /** The program `fenghuo update --service-ctl` runs. */
  readonly serviceCtl: string;
  readonly rigEvents: Record<string, unknown>[];
  readonly daemonLog: string;
  /** `fenghuo ARGS` as the technician runs it: the installed `current`'s bin/fenghuo.js. */
  fenghuo(args: readonly string[], timeoutMs?: number): Promise<{ code: number | null; out: string; err: string }>;
  stop(): Promise<void>;
}

export function installTarball(boxRoot: string, tarball: string): string {
  const r = spawnSync('sh', [join(root, 'systemd', 'install.sh'), '--destdir', boxRoot, '--from-tarball', tarball, '--no-apt'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`install.sh: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Installs `tarball` into `boxRoot` (config written first, so install.sh keeps it) and starts the rig and the site. */
export async function startBox(boxRoot: string, tarball: string): Promise<Box> {
  const site: DemoSite = demoSite({ log: silentLogger() });
  await site.simulator.start();
  const port = await freeTcpPort();
  const configFile = join(boxRoot, 'etc', 'fenghuo', 'fenghuo.yaml');
  const dataDir = join(boxRoot, 'var', 'lib', 'fenghuo');
  mkdirSync(join(boxRoot, 'etc', 'fenghuo'), { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    configFile,
    [
      'buses:',
      `  - { id: site, type: tcp, host: 127.0.0.1, port: ${site.simulator.port}, timeoutMs: 500 }`,
      'sensors:',
      '  - { id: mason, bus: site, slave: 1, profile: submersible-level, pollIntervalMs: 500, critical: true }',
      '  - { id: junction, bus: site, slave: 2, profile: radar-level-float32, pollIntervalMs: 500, critical: true }',
      'alarms:',
      '  sites:',
      '    - id: town',
      '      name: 镇区',
      '      sensors: [mason]',
      '      prepare: { levelM: 90, hysteresisM: 0.1 }',
      '      evacuate: { levelM: 95, hysteresisM: 0.1 }',
      testHttpYaml(`127.0.0.1:${port}`),
    ].join('\n'),
  );
  installTarball(boxRoot, tarball);
  const prefixDir = join(boxRoot, 'opt', 'fenghuo');
  const rig = await testChildScript('test/update/service-rig-child.ts');
  const socket = join(boxRoot, 'rig.sock');
  const daemonLog = join(boxRoot, 'daemon.log');
  const child: ChildProcess = spawn(
    process.execPath,
    [rig, 'serve', '--current', join(prefixDir, 'current'), '--socket', socket, '--log', daemonLog, '--', '--config', configFile, '--data', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LANG: 'C', FENGHUO_LOG_LEVEL: 'info' } },
  );
  const rigEvents: Record<string, unknown>[] = [];
  if (child.stdout === null) throw new Error('no rig stdout');
  createInterface({ input: child.stdout }).on('line', (l) => rigEvents.push(JSON.parse(l) as Record<string, unknown>));
  const serviceCtl = join(boxRoot, 'service-ctl');
  writeFileSync(serviceCtl, `#!/bin/sh\nexec "${process.execPath}" "${rig}" ctl "${socket}" "$1"\n`);
  chmodSync(serviceCtl, 0o755);
  await waitUntil(() => rigEvents.some((e) => e.event === 'rig.started'), 10_000, 'the rig started the daemon');
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    root: boxRoot,
    prefixDir,
    dataDir,
    configFile,
    url: `http://127.0.0.1:${port}`,
    serviceCtl,
    rigEvents,
    daemonLog,
    fenghuo: (args, timeoutMs = 120_000) =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [join(prefixDir, 'current', 'bin', 'fenghuo.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
        let out = '';
        let err = '';
        p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
        p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
        p.once('close', (code) => resolve({ code, out, err }));
      }),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await site.simulator.stop();
    },
  };
}

/** The `fenghuo update` options that point it at the scratch box. */
export function boxOptions(box: Box): string[] {
  return ['--destdir', box.root, '--data', box.dataDir, '--config', box.configFile, '--service-ctl', box.serviceCtl];
}

export function exists(path: string): boolean {
  return existsSync(path);
}
