// The real daemon in the test's own process, for the sync tests that need the whole box (compose.ts) on loopback.
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { captureLogger } from '../storage/storage-helpers.js';

/**
 * The real daemon in-process (buildDaemon, HTTP on a free loopback port) on the data dir `dir` with `config` (the
 * config file's content as an object), started; its stop goes to `cleanups`.
 */
export async function startDaemonIn(
  dir: string,
  config: unknown,
  cleanups: { push(cleanup: () => Promise<void>): unknown },
): Promise<{ daemon: Daemon; logs: ReturnType<typeof captureLogger> }> {
  const parsed = parseConfigText(JSON.stringify(config));
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
  const logs = captureLogger();
  const daemon = buildDaemon({ config: parsed.config, dataDir: dir, listen: '127.0.0.1:0', log: logs.log, clock: Date.now });
  await daemon.start();
  cleanups.push(() => daemon.stop());
  return { daemon, logs };
}
