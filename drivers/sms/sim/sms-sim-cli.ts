import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SmsModemSim, type SmsModemSimFaults } from './sms-modem-sim.js';

/**
 * The simulated modem as a small process (for the demo and for trying a real driver by hand):
 *
 *   node dist/drivers/sms/sim/sms-sim-cli.js --path /tmp/pty-b [--pin 1234] [--no-sim] [--registration 1] [--rssi 20]
 *
 * Writes each simulator event to stdout as one JSON line; reads commands from stdin, one JSON object a line:
 * {"faults":{…SmsModemSimFaults}}, {"report":{"reference":3,"status":0}}, {"registration":0}, {"sim":false},
 * {"rssi":10}, {"urc":"RING"}. Exits when stdin closes.
 */

export type SmsSimCommand =
  | { readonly faults: SmsModemSimFaults }
  | { readonly report: { readonly reference: number; readonly status?: number } }
  | { readonly registration: number }
  | { readonly sim: boolean }
  | { readonly rssi: number }
  | { readonly urc: string };

export async function runSmsSimCli(argv: readonly string[], input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      path: { type: 'string' },
      pin: { type: 'string' },
      'no-sim': { type: 'boolean' },
      registration: { type: 'string' },
      rssi: { type: 'string' },
    },
  });
  if (!values.path) throw new Error('usage: sms-sim-cli --path <serial device> [--pin N] [--no-sim] [--registration stat] [--rssi 0-31]');
  const sim = await SmsModemSim.open({
    path: values.path,
    ...(values.pin ? { pin: values.pin } : {}),
    simPresent: !values['no-sim'],
    ...(values.registration ? { registration: Number(values.registration) } : {}),
    ...(values.rssi ? { rssi: Number(values.rssi) } : {}),
  });
  const emit = (o: object): void => void output.write(JSON.stringify(o) + '\n');
  sim.onEvent(emit);
  emit({ kind: 'ready', path: values.path });
  for await (const line of createInterface({ input })) {
    if (!line.trim()) continue;
    try {
      apply(sim, JSON.parse(line) as SmsSimCommand);
    } catch (err) {
      emit({ kind: 'bad_command', line, error: (err as Error).message });
    }
  }
  await sim.close();
}

function apply(sim: SmsModemSim, c: SmsSimCommand): void {
  if ('faults' in c) sim.setFaults(c.faults);
  else if ('report' in c) sim.sendDeliveryReport(c.report.reference, c.report.status ?? 0);
  else if ('registration' in c) sim.setRegistration(c.registration);
  else if ('sim' in c) sim.setSimPresent(c.sim);
  else if ('rssi' in c) sim.setSignal(c.rssi);
  else if ('urc' in c) sim.sendUrc(c.urc);
  else throw new Error('unknown command');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSmsSimCli(process.argv.slice(2), process.stdin, process.stdout).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
