import { randomInt, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import { parseBindAddress } from '../config/listen.js';
import type { UserStore } from './users.js';
import { isLoopbackAddress } from './rate-limit.js';

/** The file in the data dir that holds the setup code while the box has no account (mode 0600). */
export const SETUP_CODE_FILE = 'setup-code';
/** The code is this many decimal digits. */
export const SETUP_CODE_DIGITS = 8;
/** How often `auth.no_users` is repeated while the box listens beyond loopback with no account. */
export const NO_USERS_WARN_EVERY_MS = 10 * 60_000;

export interface SetupCodeOptions {
  readonly users: UserStore;
  readonly log: Logger;
  /** Where the code file is written; without it the code lives in memory (and the log) only. */
  readonly dataDir?: string;
  /** The HTTP listen address (`HOST:PORT`): beyond loopback, the box warns while it has no account. */
  readonly listen?: string;
  readonly warnEveryMs?: number;
}

/** `HOST:PORT` with a loopback host (127.0.0.0/8, ::1, localhost): only this machine can connect. */
export function listensOnLoopbackOnly(listen: string): boolean {
  const { host } = parseBindAddress(listen);
  return isLoopbackAddress(host) || host.toLowerCase() === 'localhost';
}

/** Digits only: `1234 5678` and `1234-5678` are the code `12345678`. */
export function normalizeSetupCode(text: string): string {
  return text.replace(/[\s-]/g, '');
}

/**
 * The one-time setup code. While the box has no account, the first admin may only be created from beyond loopback
 * with this code, so nobody on the LAN can take a freshly installed box: it is made at start (8 random digits),
 * logged (`auth.setup_code`) and written to `<data>/setup-code` (0600) for `fenghuo setup-code`; it is removed once
 * the admin exists. While the box listens beyond loopback with no account, `auth.no_users` is logged at start and
 * every 10 minutes.
 */
export class SetupCode implements Module {
  readonly name = 'setup-code';
  private code: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SetupCodeOptions) {}

  /** The path of the code file, when there is a data dir. */
  get file(): string | undefined {
    return this.opts.dataDir === undefined ? undefined : join(this.opts.dataDir, SETUP_CODE_FILE);
  }

  async start(): Promise<void> {
    const { users, log } = this.opts;
    if (users.count() > 0) {
      this.removeFile();
      return;
    }
    this.code = Array.from({ length: SETUP_CODE_DIGITS }, () => randomInt(10)).join('');
    this.writeFile(this.code);
    log.info(
      { event: 'auth.setup_code', code: this.code, ...(this.file === undefined ? {} : { file: this.file }) },
      `no account yet: the one-time setup code for creating the admin from another computer is ${this.code}`,
    );
    if (this.opts.listen !== undefined && !listensOnLoopbackOnly(this.opts.listen)) {
      this.warnNoUsers();
      this.timer = setInterval(() => {
        if (users.count() > 0) this.consumed();
        else this.warnNoUsers();
      }, this.opts.warnEveryMs ?? NO_USERS_WARN_EVERY_MS);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopTimer();
    // A code on disk must be the running daemon's: the next start makes a new one.
    if (this.code !== undefined) this.removeFile();
  }

  /** Whether there is a code now (there is none once an account exists, or before start). */
  get active(): boolean {
    return this.code !== undefined;
  }

  /** Compares a presented code in constant time; false when there is no code. */
  matches(presented: string | undefined): boolean {
    if (this.code === undefined || presented === undefined) return false;
    const a = Buffer.from(normalizeSetupCode(presented), 'utf8');
    const b = Buffer.from(this.code, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The admin exists: forget the code, remove its file, stop warning. */
  consumed(): void {
    this.code = undefined;
    this.stopTimer();
    this.removeFile();
  }

  private warnNoUsers(): void {
    this.opts.log.warn(
      { event: 'auth.no_users', listen: this.opts.listen },
      `the box listens on ${this.opts.listen} and has no account: create the admin now (from another computer it needs the setup code; fenghuo setup-code prints it)`,
    );
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private writeFile(code: string): void {
    const file = this.file;
    if (file === undefined) return;
    const tmp = `${file}.${process.pid}.tmp`;
    // Created 0600 from the first byte (never readable by others, whatever the umask), then renamed into place.
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${code}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }

  private removeFile(): void {
    const file = this.file;
    if (file === undefined) return;
    try {
      rmSync(file, { force: true });
    } catch (err) {
      this.opts.log.error({ event: 'auth.setup_code_remove_failed', file, err: String(err) }, 'could not remove the setup code file');
    }
  }
}

/** Reads the code a running daemon wrote to `<dataDir>/setup-code`; undefined when there is none. */
export function readSetupCodeFile(dataDir: string): string | undefined {
  try {
    const text = readFileSync(join(dataDir, SETUP_CODE_FILE), 'utf8').trim();
    return /^\d+$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
