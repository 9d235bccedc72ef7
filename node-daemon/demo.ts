import type { Config } from './config/schema.js';
import type { Logger } from './core/log.js';

export interface Demo {
  readonly config: Config;
  readonly speedUp: number;
  /** Seconds from now until the replayed water starts rising. */
  readonly riseAfterS: number;
  stop(): Promise<void>;
}

/** The embedded demo: an in-process simulated site and the config that polls it. (Being written.) */
export async function startDemo(_log: Logger): Promise<Demo> {
  throw new Error('the embedded demo is not available yet: run with --config FILE');
}
