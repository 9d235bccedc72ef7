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
  /** Serve Modbus TCP here; port 0 picks a free port (read it from `port` after start()). */
  readonly tcp?: { readonly host: string; readonly port: number };
  /** Serve Modbus RTU on this serial device (e.g. one end of a socat pty pair). */
  readonly rtu?: { readonly path: string; readonly baudRate: number };
  readonly log: Logger;
  /** Wall clock handed to each device's `level`; tests pass a virtual one. */
  readonly clock?: Clock;
}

type RegistersCallback = (err: Error | null, values: number[]) => void;
type RegisterCallback = (err: Error | null, value: number) => void;
type DoneCallback = (err: Error | null) => void;

/** modbus-serial's servers answer an error carrying `modbusErrorCode` with that exception code. */
function modbusException(code: number, message: string): Error {
  return Object.assign(new Error(message), { modbusErrorCode: code });
}

interface Closable {
  close(cb: (err?: unknown) => void): void;
}

type DeviceState = 'answering' | 'silent' | 'failing';

/** How many times start() asks for another free port when the one it was given is taken before it binds. */
const PORT_ATTEMPTS = 5;

/**
 * A simulated site: devices served over Modbus TCP and/or RTU with modbus-serial's servers. A unit with no device,
 * or a silent one, gets no reply at all (on a shared RS-485 line other slaves may own that unit id); a read
 * outside a device's register block gets exception 2 (illegal data address), a write or a coil request
 * exception 1 (a gauge is read-only), a level its profile cannot represent exception 4 (device failure).
 */
export class SiteSimulator {
  private readonly devices: Map<number, SimDevice>;
  private readonly silenced = new Set<number>();
  private readonly states = new Map<number, DeviceState>();
  private readonly clock: Clock;
  private servers: Closable[] = [];
  private boundPort: number | undefined;

  constructor(private readonly opts: SiteSimulatorOptions) {
    for (const d of opts.devices) {
      if (!Number.isInteger(d.unit) || d.unit < 1 || d.unit > 247) throw new RangeError(`unit id ${d.unit} is not 1-247`);
    }
    this.devices = new Map(opts.devices.map((d) => [d.unit, d]));
    if (this.devices.size !== opts.devices.length) throw new RangeError('two simulated devices share a unit id');
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
    if (this.servers.length > 0) throw new Error('the site simulator is already running');
    try {
      if (this.opts.tcp) await this.startTcp(this.opts.tcp.host, this.opts.tcp.port);
      if (this.opts.rtu) await this.startRtu(this.opts.rtu.path, this.opts.rtu.baudRate);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    this.boundPort = undefined;
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private vector(): ConstructorParameters<typeof ModbusRTU.ServerTCP>[0] {
    const readOnly = (unit: number, cb: DoneCallback): void => {
      if (this.live(unit)) cb(modbusException(1, 'illegal function: the gauge is read-only'));
    };
    return {
      getMultipleHoldingRegisters: (addr: number, length: number, unit: number, cb: RegistersCallback) => this.answer(3, addr, length, unit, cb),
      getMultipleInputRegisters: (addr: number, length: number, unit: number, cb: RegistersCallback) => this.answer(4, addr, length, unit, cb),
      getHoldingRegister: (addr: number, unit: number, cb: RegisterCallback) =>
        this.answer(3, addr, 1, unit, (err, values) => cb(err, values[0] ?? 0)),
      getInputRegister: (addr: number, unit: number, cb: RegisterCallback) =>
        this.answer(4, addr, 1, unit, (err, values) => cb(err, values[0] ?? 0)),
      getCoil: (_addr: number, unit: number, cb: (err: Error | null, value: boolean) => void) => readOnly(unit, (err) => cb(err, false)),
      getDiscreteInput: (_addr: number, unit: number, cb: (err: Error | null, value: boolean) => void) => readOnly(unit, (err) => cb(err, false)),
      setCoil: (_addr: number, _value: boolean, unit: number, cb: DoneCallback) => readOnly(unit, cb),
      setRegister: (_addr: number, _value: number, unit: number, cb: DoneCallback) => readOnly(unit, cb),
      setRegisterArray: (_addr: number, _value: number[], unit: number, cb: DoneCallback) => readOnly(unit, cb),
    };
  }

  private async startTcp(host: string, requested: number): Promise<void> {
    // modbus-serial's ServerTCP treats port 0 as 502, so ask the OS for a free port and retry if it is taken first.
    for (let attempt = 1; ; attempt++) {
      const port = requested || (await freePort(host));
      const server = new ModbusRTU.ServerTCP(this.vector(), { host, port, unitID: 255 });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('initialized', () => resolve());
          server.once('serverError', reject);
        });
      } catch (err) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (requested === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < PORT_ATTEMPTS) continue;
        throw err;
      }
      server.on('socketError', (err: unknown) => this.opts.log.debug({ event: 'sim.tcp.socket_error', err }, 'client connection error'));
      this.servers.push(server);
      this.boundPort = port;
      this.opts.log.info({ event: 'sim.listening', transport: 'tcp', host, port }, `simulated site on tcp ${host}:${port}`);
      return;
    }
  }

  private async startRtu(path: string, baudRate: number): Promise<void> {
    const server = await new Promise<InstanceType<typeof ModbusRTU.ServerSerial>>((resolve, reject) => {
      const options = {
        path,
        baudRate,
        unitID: 255,
        openCallback: (err: Error | null | undefined) => (err ? reject(err) : resolve(s)),
      };
      const s = new ModbusRTU.ServerSerial(this.vector(), options as unknown as ConstructorParameters<typeof ModbusRTU.ServerSerial>[1]);
    });
    // Without a listener a port that vanishes (adapter pulled, socat killed) would be an uncaught 'error' event.
    (server as unknown as { getPort(): NodeJS.EventEmitter }).getPort().on('error', (err: Error) => this.opts.log.warn({ event: 'sim.rtu.error', path, err: err.message }, 'simulated RTU line error'));
    this.servers.push(server);
    this.opts.log.info({ event: 'sim.listening', transport: 'rtu', path, baudRate }, `simulated site on rtu ${path}`);
  }

  /** The device that should answer this unit now and its level, noting (and logging) when one falls silent. */
  private live(unit: number): { device: SimDevice; level: number } | undefined {
    const device = this.devices.get(unit);
    if (!device) return undefined;
    const forced = this.silenced.has(unit);
    const level = forced ? undefined : device.level(this.clock());
    if (level === undefined) {
      this.note(unit, 'silent', forced ? 'set silent' : 'gap in the series');
      return undefined;
    }
    return { device, level };
  }

  private note(unit: number, state: DeviceState, detail: string): void {
    const before = this.states.get(unit);
    if (before === state) return;
    this.states.set(unit, state);
    if (state === 'silent') this.opts.log.info({ event: 'sim.device.silent', unit, cause: detail }, `unit ${unit} stops answering (${detail})`);
    else if (state === 'failing') this.opts.log.warn({ event: 'sim.device.failing', unit, cause: detail }, `unit ${unit} answers exception 4: ${detail}`);
    else if (before !== undefined) this.opts.log.info({ event: 'sim.device.answering', unit }, `unit ${unit} answers again`);
  }

  private answer(functionCode: 3 | 4, addr: number, length: number, unit: number, cb: RegistersCallback): void {
    const live = this.live(unit);
    if (!live) return; // no reply at all
    const { profile, plan } = live.device.profile;
    if (plan.functionCode !== functionCode) return cb(modbusException(1, 'illegal function'), []);
    const start = addr - plan.address;
    if (start < 0 || start + length > plan.count) return cb(modbusException(2, 'illegal data address'), []);
    let block: number[];
    try {
      block = encodeLevel(profile, live.level, {}, plan);
    } catch (err) {
      // A throw here would escape modbus-serial's timer callback and take the whole process down.
      this.note(unit, 'failing', err instanceof Error ? err.message : String(err));
      return cb(modbusException(4, 'slave device failure'), []);
    }
    this.note(unit, 'answering', '');
    cb(null, block.slice(start, start + length));
  }
}
