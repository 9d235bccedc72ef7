import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor as waitUntil } from '../../bench/support/fenghuo-process.js';

/** The fenghuo-io firmware on simavr (test/rigs/simavr-harness), for the daemon-side tests. */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIRMWARE_DIR = join(ROOT, 'firmware');
export const HARNESS_DIR = join(ROOT, 'test/rigs/simavr-harness');
export const RELEASE_HEX = join(FIRMWARE_DIR, 'build/fenghuo-io.hex');
/** Built with -DFENGHUO_TEST_HANG: answers the hang command (the watchdog test). */
export const TEST_HEX = join(FIRMWARE_DIR, 'build/fenghuo-io-test.hex');
export const HARNESS = join(HARNESS_DIR, 'build/fenghuo-simavr');
export const PACKAGES = 'apt-get install -y make gcc gcc-avr avr-libc libsimavr-dev';


export function missingTool(): string | undefined {
  const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (!runs('make', ['--version'])) return 'make';
  if (!runs('gcc', ['--version'])) return 'gcc';
  if (!runs('avr-gcc', ['--version'])) return 'avr-gcc (gcc-avr)';
  if (!existsSync('/usr/lib/avr/include/avr/io.h')) return 'avr-libc';
  if (!existsSync('/usr/include/simavr/sim_avr.h')) return 'libsimavr-dev';
  return undefined;
}


export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SimEvent {
  readonly ev: string;
  /** simulated time, µs */
  readonly t: number;
  readonly pin?: number;
  readonly state?: string;
  readonly cause?: string;
  readonly pty?: string;
  readonly count?: number;
}

/** The emulated board: the harness's pty, its pin log in simulated time, and commands to drive its inputs. */
export class Sim {
  readonly events: SimEvent[] = [];
  private stderr = '';
  pty = '';

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) this.events.push(JSON.parse(line) as SimEvent);
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-4_000)));
  }

  /** `hex`: the release build by default; `bootDelayMs`: the firmware held that long after every reset (a bootloader). */
  static async start(opts: { hex?: string; bootDelayMs?: number } = {}): Promise<Sim> {
    const args = ['--hex', opts.hex ?? RELEASE_HEX, ...(opts.bootDelayMs ? ['--boot-delay-ms', String(opts.bootDelayMs)] : [])];
    const child = spawn(HARNESS, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const sim = new Sim(child);
    sims.push(sim);
    const ready = await sim.waitEvent((e) => e.ev === 'ready', 'harness ready');
    sim.pty = ready.pty!;
    return sim;
  }

  send(command: string): void {
    this.child.stdin!.write(`${command}\n`);
  }

  async waitEvent(pred: (e: SimEvent) => boolean, what: string, timeoutMs = 5_000, from = 0): Promise<SimEvent> {
    return waitUntil(
      () => {
        if (this.child.exitCode !== null) throw new Error(`harness exited (${this.child.exitCode}) before ${what}: ${this.stderr}`);
        return this.events.slice(from).find(pred);
      },
      timeoutMs,
      () => `${what} (harness stderr: ${this.stderr})`,
    );
  }

  /** Current simulated time, ms. */
  async now(): Promise<number> {
    const from = this.events.length;
    this.send('stats');
    return (await this.waitEvent((e) => e.ev === 'stats', 'stats', 5_000, from)).t / 1_000;
  }

  async until(ms: number, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while ((await this.now()) < ms) {
      if (Date.now() > end) throw new Error(`simulated time did not reach ${ms} ms`);
      await sleep(50);
    }
  }

  /** Pin changes of `pin` after `afterMs` (simulated ms). */
  pinLog(pin: number, afterMs = -1): { t: number; state: string }[] {
    return this.events.filter((e) => e.ev === 'pin' && e.pin === pin && e.t / 1_000 > afterMs).map((e) => ({ t: e.t / 1_000, state: e.state! }));
  }

  state(pin: number): string {
    return this.pinLog(pin).at(-1)?.state ?? 'z';
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.send('quit');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Every harness started, for the tests' afterEach. */
export const sims: Sim[] = [];
