/**
 * A feature of the daemon. The composition root starts modules in the order it built them and stops them in
 * reverse; modules talk to each other only through the typed streams of `EventHub`.
 */
export interface Module {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
