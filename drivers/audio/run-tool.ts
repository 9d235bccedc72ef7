import { spawn } from 'node:child_process';
import { AudioError } from './errors.js';

/** Debian package that provides each command, named in errors so the fix is one apt-get away. */
const PACKAGE_OF: Record<string, string> = {
  'espeak-ng': 'espeak-ng',
  sox: 'sox',
  ffmpeg: 'ffmpeg',
  aplay: 'alsa-utils',
};

export interface RunToolOptions {
  /** Environment of the child; its PATH decides where the command is looked up. */
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the child's stdin, then stdin is closed. */
  input?: Buffer | string;
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

export function missingToolError(command: string): AudioError {
  const pkg = PACKAGE_OF[command] ?? command;
  return new AudioError(
    'tool-missing',
    `${command} is not installed or not on PATH (Debian package: ${pkg}; install with: apt-get install ${pkg})`,
  );
}

/**
 * Runs a command with an argument array (never through a shell) and collects its output.
 * Rejects with AudioError 'tool-missing' when the binary cannot be found and 'tool-failed' on a non-zero exit.
 */
export function runTool(command: string, args: readonly string[], opts: RunToolOptions = {}): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A child that dies before reading stdin makes the pipe fail with EPIPE; the exit code tells the real story.
    child.stdin.on('error', () => undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? missingToolError(command) : new AudioError('tool-failed', `${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolve({ stdout, stderr });
      const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
      const said = (stderr.trim() || stdout.trim()).slice(0, 500);
      reject(new AudioError('tool-failed', `${command} failed (${how})${said ? `: ${said}` : ''}`, said));
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
