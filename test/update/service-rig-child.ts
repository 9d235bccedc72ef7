// A stand-in for systemd in the update tests: runs `<current>/bin/fenghuo.js run ARGS…` (through the `current`
// symlink at every start, so a wrong switch shows), restarts it whenever it exits (Restart=always), and takes
// stop/start/restart on a unix socket, answering once done (stop: the daemon has exited).
//   node service-rig-child.js serve --current DIR --socket PATH --log FILE -- RUN-ARGS…
//   node service-rig-child.js ctl SOCKET stop|start|restart
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, realpathSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

const RESTART_AFTER_MS = 300;

function say(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...fields })}\n`);
}

function serve(current: string, socket: string, logFile: string, runArgs: readonly string[]): void {
  let child: ChildProcess | undefined;
  let wanted = true;
  let restartTimer: NodeJS.Timeout | undefined;

  const start = (): void => {
    if (child !== undefined) return;
    const log = openSync(logFile, 'a');
    let release = '';
    try {
      release = realpathSync(current);
    } catch {
      release = '(current is dangling)';
    }
    const c = spawn(process.execPath, [join(current, 'bin', 'fenghuo.js'), 'run', ...runArgs], { stdio: ['ignore', log, log] });
    closeSync(log);
    child = c;
    say('rig.started', { pid: c.pid, release });
    c.once('exit', (code, signal) => {
      child = undefined;
      say('rig.exited', { pid: c.pid, code, signal });
      if (wanted) restartTimer = setTimeout(start, RESTART_AFTER_MS);
    });
  };

  const stop = async (): Promise<void> => {
    wanted = false;
    clearTimeout(restartTimer);
    const c = child;
    if (c === undefined) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const hard = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(hard);
  };

  const act = async (action: string): Promise<void> => {
    if (action === 'stop') await stop();
    else if (action === 'start') {
      wanted = true;
      start();
    } else if (action === 'restart') {
      await stop();
      wanted = true;
      start();
    } else throw new Error(`unknown action ${action}`);
    say('rig.action', { action });
  };

  rmSync(socket, { force: true });
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      act(buf.slice(0, nl).trim()).then(
        () => conn.end('ok\n'),
        (err: unknown) => conn.end(`error ${String(err)}\n`),
      );
    });
  });
  server.listen(socket, () => {
    say('rig.listening', { socket });
    start();
  });
  process.once('SIGTERM', () => {
    void stop().then(() => {
      server.close();
      process.exit(0);
    });
  });
}

function ctl(socket: string, action: string): void {
  const conn = connect(socket);
  let answer = '';
  conn.setEncoding('utf8').on('data', (s: string) => (answer += s));
  conn.on('error', (err) => {
    process.stderr.write(`rig ctl: ${err.message}\n`);
    process.exit(1);
  });
  conn.on('end', () => {
    if (answer.startsWith('ok')) process.exit(0);
    process.stderr.write(`rig ctl ${action}: ${answer}`);
    process.exit(1);
  });
  conn.write(`${action}\n`);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'ctl') ctl(args[0] ?? '', args[1] ?? '');
else if (mode === 'serve') {
  const opt = (name: string): string => {
    const i = args.indexOf(name);
    const v = i >= 0 ? args[i + 1] : undefined;
    if (v === undefined) throw new Error(`service rig: ${name} is required`);
    return v;
  };
  const dashes = args.indexOf('--');
  serve(opt('--current'), opt('--socket'), opt('--log'), dashes >= 0 ? args.slice(dashes + 1) : []);
} else {
  process.stderr.write('usage: service-rig-child.js serve --current DIR --socket PATH --log FILE -- ARGS… | ctl SOCKET ACTION\n');
  process.exit(2);
}
