// What every `fenghuo hub …` verb does alike (hub/cli.ts, hub/orders/order-cli.ts, hub/accounts/cli.ts): its command
// line read strictly, a usage error said the same way, and the hub's store opened from the config for the verb's work.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from '../node-daemon/core/cli-io.js';
import type { HubConfig } from './config.js';
import { openHubStore } from './store/open.js';
import type { HubStore } from './store/types.js';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** A verb's usage: the prefix of its error lines (`fenghuo hub order`) and the text shown after an error and for --help. */
export interface VerbUsage {
  readonly prefix: string;
  readonly text: string;
}

/** `PREFIX: message`, a blank line and the usage on stderr; the exit code 2. */
export function usageError(io: CliIo, usage: VerbUsage, message: string): number {
  io.err(`${usage.prefix}: ${message}`);
  io.err('');
  io.err(usage.text);
  return 2;
}

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP; allowPositionals: true; strict: true }>>;

/**
 * `argv` read strictly with positionals and `-h`/`--help` besides `options`: the values and positionals, or the exit
 * code when there is nothing more to do (0 after printing the usage for --help, 2 after a usage error).
 */
export function parseVerbArgs<O extends Options>(argv: readonly string[], options: O, io: CliIo, usage: VerbUsage): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...options, ...HELP }, allowPositionals: true, strict: true });
  } catch (err) {
    return usageError(io, usage, err instanceof Error ? err.message : String(err));
  }
  if ((parsed.values as { readonly help?: boolean }).help === true) {
    io.out(usage.text);
    return 0;
  }
  return parsed;
}

/** Runs `work` on the hub's store, opened from `cfg` and closed after (also when `work` throws). */
export async function withHubStore<T>(cfg: HubConfig, work: (store: HubStore) => Promise<T>): Promise<T> {
  const store = await openHubStore(cfg.store);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
