/**
 * A feature of the daemon. The composition root (compose.ts) builds the modules from the config, starts them in
 * the order it built them and stops them in reverse. A module publishes what happens on the typed streams of
 * `EventHub` and hears the others there; the services it calls (the database, the alarm service, the readings
 * reader, the output devices, the settings, now and then another module) it is handed by the composition root.
 */
export interface Module {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
