// Runs the real daemon (`node bin/fenghuo.js run`) as a child process and follows its JSON log lines.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../node-daemon/core/paths.js';

const root = packageRoot();

export function ensureBuilt(): void {
  if (!existsSync(join(root, 'dist/node-daemon/cli.js'))) spawnSync('npx', ['tsc', '-p', root], { stdio: 'inherit' });
}

export interface LogLine {
  readonly event?: string;
  readonly [key: string]: unknown;
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Resolves with the first log line of this event (waits for it). */
  waitFor(event: string, timeoutMs?: number): Promise<LogLine>;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export function startDaemon(configFile: string, dataDir: string, listen: string): DaemonProcess {
  const child = spawn(process.execPath, [join(root, 'bin/fenghuo.js'), 'run', '--config', configFile, '--data', dataDir, '--listen', listen], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { event: string; resolve: (l: LogLine) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (raw) => {
    let line: LogLine;
    try {
      line = JSON.parse(raw) as LogLine;
    } catch {
      return; // a line cut short by kill -9
    }
    lines.push(line);
    for (const w of waiters.filter((w) => w.event === line.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    waitFor(event, timeoutMs = 15_000) {
      const seen = lines.find((l) => l.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        waiters.push({ event, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then((code) => reject(new Error(`daemon exited (${code}) before "${event}"; stderr: ${stderr}`)));
      });
    },
  };
}

export function writeConfig(file: string, lines: readonly string[]): string {
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
