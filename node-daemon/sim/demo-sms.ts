import { join } from 'node:path';
import { SmsModemSim } from '../../drivers/sms/sim/sms-modem-sim.js';
import type { Logger } from '../core/log.js';
import { createPtyPair, PtyPairError } from './pty-pair.js';

/** The demo's simulated SMS modem: the daemon's end of the line, and what to stop. */
export interface DemoSms {
  /** The serial device the daemon's `sms.transport.modem.path` opens. */
  readonly path: string;
  readonly sim: SmsModemSim;
  stop(): Promise<void>;
}

/** The demo's SMS recipients (numbers from the 138 0013 80xx test block). */
export const DEMO_SMS_PEOPLE = [
  { id: 'zhang', name: '张村长', phone: '13800138001', roles: ['village-head'] },
  { id: 'li', name: '李值班', phone: '13800138002', roles: ['duty'] },
];

/**
 * The SMS modem simulator (drivers/sms/sim) on a pty pair (socat, or the Python bridge), answering delivery reports;
 * every message it receives is logged (`demo.sms_received`). Undefined, with a warning, when no pty can be made: the
 * demo then runs with SMS off.
 */
export async function startDemoSms(opts: { readonly dir: string; readonly log: Logger }): Promise<DemoSms | undefined> {
  let pair;
  try {
    pair = await createPtyPair({ dir: join(opts.dir, 'sms'), names: ['modem-a', 'modem-b'], log: opts.log });
  } catch (err) {
    if (!(err instanceof PtyPairError)) throw err;
    opts.log.warn({ event: 'demo.sms_off', err: err.message }, `demo SMS is simulated-off: ${err.message}`);
    return undefined;
  }
  let sim: SmsModemSim;
  try {
    sim = await SmsModemSim.open({ path: pair.b });
  } catch (err) {
    await pair.close();
    opts.log.warn({ event: 'demo.sms_off', err: String(err) }, `demo SMS is simulated-off: ${String(err)}`);
    return undefined;
  }
  sim.setFaults({ autoReport: { status: 0, delayMs: 1_500 } });
  sim.onEvent((ev) => {
    if (ev.kind === 'message') opts.log.info({ event: 'demo.sms_received', number: ev.message.number, text: ev.message.text, parts: ev.message.parts.length }, `simulated phone ${ev.message.number} got: ${ev.message.text}`);
  });
  opts.log.info({ event: 'demo.sms_modem', path: pair.a, via: pair.via }, 'demo SMS modem simulated');
  return {
    path: pair.a,
    sim,
    stop: async () => {
      await sim.close().catch(() => undefined);
      await pair.close();
    },
  };
}
