import ModbusRTU from 'modbus-serial';
import { freePort } from '../core/free-port.js';
import type { Logger } from '../core/log.js';
import { systemClock, type Clock } from '../core/types.js';
import { encodeLevel } from '../sensing/encode.js';
import type { ResolvedProfile } from '../sensing/profiles.js';

/** One simulated Modbus device: a unit id answering with the registers its profile defines for the current level. */
export interface SimDevice {
  readonly unit: number;
  readonly profile: ResolvedProfile;
  /** Level in metres now, or undefined when the device must not answer (a gap in the replayed series). */
  readonly level: (now: number) => number | undefined;
}

export interface SiteSimulatorOptions {
  readonly devices: readonly SimDevice[];
  /** Serve Modbus TCP here; port 0 picks a free port. */
  readonly tcp?: { readonly host: string; readonly port: number };
  /** Serve Modbus RTU on this serial device (e.g. one end of a socat pty pair). */
  readonly rtu?: { readonly path: string; readonly baudRate: number };
  readonly log: Logger;
  readonly clock?: Clock;
}

type RegistersCallback = (err: Error | null, values: number[]) => void;
type RegisterCallback = (err: Error | null, value: number) => void;

/** modbus-serial's servers answer an error carrying `modbusErrorCode` with that exception code. */
function modbusException(code: number, message: string): Error {
  return Object.assign(new Error(message), { modbusErrorCode: code });
}

interface Closable {
  close(cb: (err?: unknown) => void): void;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * A simulated site: devices served over Modbus TCP and/or RTU with modbus-serial's servers. A unit with no device,
 * or a silent one, gets no reply at all (on a shared RS-485 line other slaves may own that unit id); a read
 * outside a device's register block gets exception 2 (illegal data address).
 */
export class SiteSimulator {
  private readonly devices: Map<number, SimDevice>;
  private readonly silenced = new Set<number>();
  private readonly clock: Clock;
  private servers: Closable[] = [];
  private boundPort: number | undefined;

  constructor(private readonly opts: SiteSimulatorOptions) {
    this.devices = new Map(opts.devices.map((d) => [d.unit, d]));
    this.clock = opts.clock ?? systemClock;
  }

  /** The TCP port actually served, once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Makes a device stop answering (true) or answer again (false), as a gauge whose cable is cut. */
  setSilent(unit: number, silent: boolean): void {
    if (silent) this.silenced.add(unit);
    else this.silenced.delete(unit);
  }

  async start(): Promise<void> {
    const vector = {
      getMultipleHoldingRegisters: (addr: number, length: number, unit: number, cb: RegistersCallback) => this.answer(3, addr, length, unit, cb),
      getMultipleInputRegisters: (addr: number, length: number, unit: number, cb: RegistersCallback) => this.answer(4, addr, length, unit, cb),
      getHoldingRegister: (addr: number, unit: number, cb: RegisterCallback) =>
        this.answer(3, addr, 1, unit, (err, values) => cb(err, values[0] ?? 0)),
      getInputRegister: (addr: number, unit: number, cb: RegisterCallback) =>
        this.answer(4, addr, 1, unit, (err, values) => cb(err, values[0] ?? 0)),
    };
    if (this.opts.tcp) {
      const port = this.opts.tcp.port || (await freePort(this.opts.tcp.host));
      const server = new ModbusRTU.ServerTCP(vector, { host: this.opts.tcp.host, port, unitID: 255 });
      await new Promise<void>((resolve, reject) => {
        server.once('initialized', () => resolve());
        server.once('serverError', reject);
      });
      this.servers.push(server as unknown as Closable);
      this.boundPort = port;
      this.opts.log.info({ event: 'sim.listening', transport: 'tcp', host: this.opts.tcp.host, port }, `simulated site on tcp ${this.opts.tcp.host}:${port}`);
    }
    if (this.opts.rtu) {
      const { path, baudRate } = this.opts.rtu;
      const server = await new Promise<Closable>((resolve, reject) => {
        const s: Closable = new ModbusRTU.ServerSerial(vector, {
          path,
          baudRate,
          unitID: 255,
          openCallback: (err: Error | null | undefined) => (err ? reject(err) : resolve(s)),
        } as unknown as ConstructorParameters<typeof ModbusRTU.ServerSerial>[1]) as unknown as Closable;
      });
      this.servers.push(server);
      this.opts.log.info({ event: 'sim.listening', transport: 'rtu', path, baudRate }, `simulated site on rtu ${path}`);
    }
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private answer(functionCode: 3 | 4, addr: number, length: number, unit: number, cb: RegistersCallback): void {
    const device = this.devices.get(unit);
    if (!device || this.silenced.has(unit)) return; // no reply at all
    const { profile, plan } = device.profile;
    if (plan.functionCode !== functionCode) return cb(modbusException(1, 'illegal function'), []);
    const level = device.level(this.clock());
    if (level === undefined) return; // silent: a gap in the series
    const start = addr - plan.address;
    if (start < 0 || start + length > plan.count) return cb(modbusException(2, 'illegal data address'), []);
    const block = encodeLevel(profile, level, {}, plan);
    cb(null, block.slice(start, start + length));
  }
}
