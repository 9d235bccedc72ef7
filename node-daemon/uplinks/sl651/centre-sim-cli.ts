import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseBindAddress } from '../../config/listen.js';
import { parseCommand } from './centre-sim-commands.js';
import { CENTRE_USAGE } from './centre-sim-usage.js';
import { CentreSimulator, type CentreEvent } from './centre-sim.js';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

function fail(message: string): number {
  process.stderr.write(`fenghuo sim: ${message}\n${CENTRE_USAGE}\n`);
  return EXIT_USAGE;
}

/** Runs the centre simulator until SIGTERM/SIGINT; resolves to the exit code. */
export async function centreSimMain(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'sl651-centre': { type: 'string' },
        password: { type: 'string' },
        end: { type: 'string' },
        'no-confirm': { type: 'boolean' },
        'confirm-delay-ms': { type: 'string' },
        'utc-offset-min': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(`${CENTRE_USAGE}\n`);
    return 0;
  }
  let bind: { host: string; port: number };
  try {
    bind = parseBindAddress(values['sl651-centre'] ?? '');
  } catch (err) {
    return fail(`--sl651-centre: ${(err as Error).message}`);
  }
  const password = values.password;
  if (password !== undefined && !/^[0-9A-Fa-f]{4}$/.test(password)) return fail(`--password must be 4 hex digits, got "${password}"`);
  const end = values.end?.toLowerCase() ?? 'esc';
  if (end !== 'esc' && end !== 'eot') return fail(`--end must be esc or eot, got "${values.end}"`);
  const delayText = values['confirm-delay-ms'] ?? '0';
  if (!/^\d+$/.test(delayText)) return fail(`--confirm-delay-ms must be a whole number of ms, got "${delayText}"`);
  const offsetText = values['utc-offset-min'] ?? '480';
  const offset = Number(offsetText);
  if (!/^[+-]?\d+$/.test(offsetText) || offset < -720 || offset > 840) return fail(`--utc-offset-min must be whole minutes from -720 to 840, got "${offsetText}"`);

  const print = (e: CentreEvent): void => {
    process.stdout.write(`${JSON.stringify(e)}\n`);
  };
  const centre = new CentreSimulator({
    host: bind.host,
    port: bind.port,
    ...(password !== undefined ? { password: Number.parseInt(password, 16) } : {}),
    end: end === 'eot' ? 'EOT' : 'ESC',
    confirm: !values['no-confirm'],
    confirmDelayMs: Number(delayText),
    utcOffsetMinutes: offset,
    onEvent: print,
  });
  try {
    await centre.start();
  } catch (err) {
    print({ at: new Date().toISOString(), event: 'error', code: 'listen', detail: err instanceof Error ? err.message : String(err) });
    return EXIT_FAILURE;
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const parsed = parseCommand(line);
    if (parsed.ok) centre.query(parsed.command);
    else print({ at: new Date().toISOString(), event: 'error', code: 'command', detail: parsed.reason, line });
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  lines.close();
  process.stdin.destroy();
  await centre.stop();
  return 0;
}
