export interface RunOptions {
  /** YAML config file; absent means the embedded demo with an in-process simulated site. */
  readonly configPath?: string;
  readonly dataDir: string;
  /** HOST:PORT, overrides `http.listen` of the config file. */
  readonly listen?: string;
}

/** Runs the daemon until SIGTERM/SIGINT; resolves to the process exit code. (Composition root: being written.) */
export async function runDaemon(_opts: RunOptions): Promise<number> {
  throw new Error('not implemented yet');
}
