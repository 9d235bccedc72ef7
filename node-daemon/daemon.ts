import type { Config } from './config/schema.js';

export interface RunOptions {
  /** The YAML config file the CLI loaded `config` from; for logs and messages only. */
  readonly configPath?: string;
  /** The validated configuration (the CLI loads and checks it); absent means the embedded demo with an in-process simulated site. */
  readonly config?: Config;
  readonly dataDir: string;
  /** HOST:PORT, overrides `http.listen` of the config file. */
  readonly listen?: string;
}

/** Runs the daemon until SIGTERM/SIGINT; resolves to the process exit code. (Composition root: being written.) */
export async function runDaemon(_opts: RunOptions): Promise<number> {
  throw new Error('not implemented yet');
}
