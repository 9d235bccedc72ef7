import { spawn } from 'node:child_process';
import type { Logger } from './log.js';
import { judgeLiveness, monotonicMs, type Heartbeats, type LivenessLimits } from './liveness.js';

/**
 * systemd's notification protocol (sd_notify(3)) for `Type=notify` with a watchdog (systemd/fenghuo.service).
 *
 * Node has no unix datagram sockets, so the messages go through `systemd-notify` (package systemd, on every box
 * this runs on as a service), one short process per message, with the unit's `NotifyAccess=all`. The race that
 * `systemd-notify` is known for (it exits before PID 1 reads the datagram, so PID 1 cannot tell which unit sent it
 * and drops it) does not apply as it is used here: since systemd 246 `systemd-notify` without `--no-block` follows
 * its message with `BARRIER=1` and a pipe, and waits until PID 1 has closed the pipe, i.e. has processed both; the
 * sender is alive while PID 1 attributes its message. (Unprivileged, its first try to send with our PID as the
 * credentials fails with EPERM and it sends with its own: test/systemd/sd-notify-peer.test.ts shows both.) So we
 * never pass `--no-block`. No native module (unix-dgram, sd-notify) is needed, which would need a compiler on the
 * board.
 *
 * Nothing here does anything unless systemd gave us NOTIFY_SOCKET.
 */

/** What systemd handed the process (read once, then removed from the environment, as sd_notify's unset_environment). */
export interface NotifyEnv {
  /** NOTIFY_SOCKET: a path, or `@name` in the abstract namespace. */
  readonly socket: string;
  /** Half of this is the ping period; undefined when the unit has no WatchdogSec= (or the watchdog is another process's). */
  readonly watchdogMs: number | undefined;
}

/**
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` and deletes them (so that ffmpeg, espeak-ng and
 * the rest never see them). Undefined when NOTIFY_SOCKET is absent or empty: not started by systemd as a notify
 * service.
 */
export function takeNotifyEnv(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): NotifyEnv | undefined {
  const socket = env.NOTIFY_SOCKET;
  const usec = env.WATCHDOG_USEC;
  const wpid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (socket === undefined || socket === '') return undefined;
  const us = usec !== undefined && /^\d+$/.test(usec) ? Number(usec) : Number.NaN;
  const forUs = wpid === undefined || wpid === '' || Number(wpid) === pid;
  return { socket, watchdogMs: Number.isFinite(us) && us > 0 && forUs ? us / 1000 : undefined };
}

/** Sends one notification message (newline-joined `KEY=VALUE` fields); resolves once it was handed over. */
export interface NotifyTransport {
  send(fields: readonly string[]): Promise<void>;
}

/**
 * `systemd-notify FIELD...` with NOTIFY_SOCKET set; resolves on exit 0, once PID 1 processed the message (the
 * barrier). Killed after `timeoutMs` (its own barrier wait is 5 s).
 */
export function systemdNotifyTransport(socket: string, opts: { command?: string; timeoutMs?: number } = {}): NotifyTransport {
  const command = opts.command ?? 'systemd-notify';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    send: (fields) =>
      new Promise((resolve, reject) => {
        const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: socket };
        if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
        const child = spawn(command, [...fields], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-1000)));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(`${command} ${signal !== null ? `killed by ${signal}` : `exited ${code}`}${stderr.trim() !== '' ? `: ${stderr.trim()}` : ''}`));
        });
      }),
  };
}

export interface NotifierTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: NotifierTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export interface SystemdNotifierOptions {
  readonly transport: NotifyTransport;
  /** WATCHDOG_USEC in ms; pings every half of it. Undefined: no pings. */
  readonly watchdogMs: number | undefined;
  /** The loops' heartbeats, asked before every ping. */
  readonly heartbeats: () => Heartbeats;
  readonly log: Logger;
  readonly limits?: LivenessLimits;
  /** Monotonic ms. */
  readonly now?: () => number;
  readonly timers?: NotifierTimers;
}

/**
 * READY=1 once the daemon is up, WATCHDOG=1 every half watchdog period while the poller and the alarm rules are
 * demonstrably alive (judgeLiveness), STOPPING=1 when it stops. Pings come from this event loop's timer, so a
 * stuck loop sends none; a dead poller or alarm engine withholds them (logged once, with the reasons, and shown in
 * `systemctl status` as STATUS=). Messages go out one at a time, in order; a ping is dropped while the previous one
 * is still on its way, never queued behind it.
 */
export class SystemdNotifier {
  private readonly now: () => number;
  private readonly timers: NotifierTimers;
  private chain: Promise<void> = Promise.resolve();
  private pingInFlight = false;
  private interval: unknown;
  private readySent = false;
  private stopping = false;
  private withheld = false;
  private readyStatus = '';

  constructor(private readonly opts: SystemdNotifierOptions) {
    this.now = opts.now ?? monotonicMs;
    this.timers = opts.timers ?? realTimers;
  }

  /** Sends READY=1 with `status` and starts the watchdog pings; nothing once stop() began. */
  async ready(status: string): Promise<void> {
    if (this.stopping || this.readySent) return;
    this.readySent = true;
    this.readyStatus = status;
    await this.send(['READY=1', `STATUS=${status}`], 'ready');
    this.opts.log.info({ event: 'systemd.ready', watchdogMs: this.opts.watchdogMs }, 'told systemd the box is ready');
    if (this.opts.watchdogMs !== undefined && !this.stopping) {
      this.interval = this.timers.setInterval(() => this.tick(), Math.max(1, Math.floor(this.opts.watchdogMs / 2)));
    }
  }

  /** Sends READY=1 once `until` settled (the first poll cycle), unless the daemon is stopping by then. */
  async readyAfter(until: Promise<unknown>, status: () => string): Promise<void> {
    await until.catch(() => undefined);
    await this.ready(status());
  }

  /** Stops the pings and sends STOPPING=1; resolves once it went out (or failed: logged). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.interval !== undefined) this.timers.clearInterval(this.interval);
    this.interval = undefined;
    await this.send(['STOPPING=1', 'STATUS=stopping'], 'stopping');
  }

  /** One watchdog period's check: ping if alive; otherwise withhold, say why once. Public for tests with virtual timers. */
  tick(): void {
    if (this.stopping) return;
    const verdict = judgeLiveness(this.opts.heartbeats(), this.now(), this.opts.limits);
    if (!verdict.alive) {
      if (!this.withheld) {
        this.withheld = true;
        this.opts.log.error(
          { event: 'systemd.watchdog_withheld', reasons: verdict.reasons },
          `withholding the systemd watchdog ping (systemd will restart the box): ${verdict.reasons.join('; ')}`,
        );
        void this.send([`STATUS=watchdog withheld: ${verdict.reasons.join('; ')}`], 'status');
      }
      return;
    }
    if (this.pingInFlight) return;
    const fields = ['WATCHDOG=1'];
    if (this.withheld) {
      this.withheld = false;
      this.opts.log.warn({ event: 'systemd.watchdog_resumed' }, 'poller and alarm rules alive again: watchdog pings resume');
      fields.push(`STATUS=${this.readyStatus}`);
    }
    this.pingInFlight = true;
    void this.send(fields, 'watchdog').finally(() => (this.pingInFlight = false));
  }

  private send(fields: readonly string[], what: string): Promise<void> {
    const next = this.chain.then(() =>
      this.opts.transport.send(fields).catch((err: unknown) => {
        this.opts.log.warn({ event: 'systemd.notify_failed', message: what, err: String(err) }, `could not notify systemd (${what})`);
      }),
    );
    this.chain = next;
    return next;
  }
}

/** The notifier for this process, or undefined when systemd did not start it as a notify service. */
export function systemdNotifier(env: NotifyEnv | undefined, heartbeats: () => Heartbeats, log: Logger): SystemdNotifier | undefined {
  if (env === undefined) return undefined;
  return new SystemdNotifier({ transport: systemdNotifyTransport(env.socket), watchdogMs: env.watchdogMs, heartbeats, log });
}
