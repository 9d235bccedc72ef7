// How the box's daemon is started in production, read from the files that start it, so that the memory and start-up
// benches measure what a box runs: the Node flags of the launcher's shebang (bin/fenghuo.js, the same as the systemd
// unit's ExecStart and `npm start`) and the Environment= lines of systemd/fenghuo.service (MALLOC_ARENA_MAX).
// Also: a 64-sensor site config against the fast TCP slave fixture, a process's resident size, and Node's own floor.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../node-daemon/auth/tokens.js';
import { packageRoot } from '../../node-daemon/core/paths.js';

export const LAUNCHER = join(packageRoot(), 'bin', 'fenghuo.js');
export const BENCH_TOKEN = 'fenghuo-bench-token-5d1e7c2a';

/**
 * The Node flags on the launcher's `#!/usr/bin/env -S node …` line; FENGHUO_BENCH_NODE_FLAGS instead, to measure
 * other flags (e.g. FENGHUO_BENCH_NODE_FLAGS="--max-semi-space-size=1"; "none" for V8's defaults).
 */
export function launcherNodeFlags(): string[] {
  const override = process.env.FENGHUO_BENCH_NODE_FLAGS;
  if (override !== undefined) return override === 'none' ? [] : override.split(/\s+/).filter((f) => f.startsWith('--'));
  const shebang = readFileSync(LAUNCHER, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S node\s*(.*)$/.exec(shebang);
  return m?.[1] === undefined ? [] : m[1].split(/\s+/).filter((f) => f.startsWith('--'));
}

/**
 * The unit's `Environment=NAME=value` pairs but NODE_ENV (the benches run what the box runs, logging included);
 * FENGHUO_BENCH_UNIT_ENV=none leaves them out, to measure without them.
 */
export function unitEnvironment(): Record<string, string> {
  if (process.env.FENGHUO_BENCH_UNIT_ENV === 'none') return {};
  const unit = readFileSync(join(packageRoot(), 'systemd', 'fenghuo.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const line of unit.split('\n')) {
    const m = /^Environment=([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(line.trim());
    if (m !== null && m[1] !== 'NODE_ENV') env[m[1]!] = m[2]!;
  }
  return env;
}

export function rssMbOf(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used so far, seconds (/proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A site of `sensors` sensors on one Modbus TCP bus, each polled every `pollMs`; an API token for the benches. */
export function siteYaml(o: { readonly slavePort: number; readonly httpPort: number; readonly sensors: number; readonly pollMs: number; readonly timeoutMs?: number; readonly extra?: readonly string[] }): string {
  return [
    'http:',
    `  listen: "127.0.0.1:${o.httpPort}"`,
    '  apiTokens:',
    `    - { id: bench, role: viewer, sha256: "${sha256Hex(BENCH_TOKEN)}" }`,
    ...(o.extra ?? []),
    'buses:',
    `  - { id: tcp-0, type: tcp, host: 127.0.0.1, port: ${o.slavePort}${o.timeoutMs === undefined ? '' : `, timeoutMs: ${o.timeoutMs}`} }`,
    'sensors:',
    ...Array.from(
      { length: o.sensors },
      (_, i) => `  - { id: s${i}, bus: tcp-0, slave: ${1 + i}, profile: generic-uint16-cm, pollIntervalMs: ${o.pollMs}, critical: ${i % 8 === 0} }`,
    ),
    '',
  ].join('\n');
}

/** Node's own resident floor: the peak RSS of `node -e "setTimeout(()=>{},2000)"` with the box's flags, MB. */
export async function nodeFloorRssMb(flags: readonly string[] = launcherNodeFlags(), env: Record<string, string> = unitEnvironment()): Promise<number> {
  const child = spawn(process.execPath, [...flags, '-e', 'setTimeout(()=>{},2000)'], { stdio: 'ignore', env: { ...process.env, ...env } });
  let peak = 0;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const mb = rssMbOf(child.pid ?? -1);
    if (Number.isFinite(mb)) peak = Math.max(peak, mb);
    await new Promise((r) => setTimeout(r, 50));
  }
  return peak;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
