import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How `fenghuo update` stops, starts and restarts the box's daemon. */
export interface ServiceControl {
  readonly describe: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
}

export type ServiceAction = 'stop' | 'start' | 'restart';

async function runOrExplain(file: string, args: readonly string[], timeoutMs: number): Promise<void> {
  try {
    await run(file, [...args], { timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: unknown; message?: unknown };
    const detail = typeof e.stderr === 'string' && e.stderr.trim() !== '' ? e.stderr.trim() : String(e.message ?? err);
    throw new Error(`${file} ${args.join(' ')} failed: ${detail}`);
  }
}

/**
 * systemd. start and restart are --no-block: for a Type=notify unit `systemctl restart` would otherwise wait for
 * READY=1 up to TimeoutStartSec (180 s) and fail on its own schedule; the update's deadline decides instead.
 * reset-failed first: a crash loop may have hit StartLimitBurst, and then systemd refuses to start the unit at all.
 */
export function systemdServiceControl(unit = 'fenghuo.service'): ServiceControl {
  const resetFailed = (): Promise<void> => runOrExplain('systemctl', ['reset-failed', unit], 10_000).catch(() => undefined);
  return {
    describe: `systemctl (${unit})`,
    stop: () => runOrExplain('systemctl', ['stop', unit], 90_000),
    start: async () => {
      await resetFailed();
      await runOrExplain('systemctl', ['start', '--no-block', unit], 30_000);
    },
    restart: async () => {
      await resetFailed();
      await runOrExplain('systemctl', ['restart', '--no-block', unit], 90_000);
    },
  };
}

/** Any program taking the action as its only argument (`PROGRAM stop|start|restart`); stop must return once stopped. */
export function commandServiceControl(program: string): ServiceControl {
  const act = (action: ServiceAction): Promise<void> => runOrExplain(program, [action], 90_000);
  return { describe: program, stop: () => act('stop'), start: () => act('start'), restart: () => act('restart') };
}
