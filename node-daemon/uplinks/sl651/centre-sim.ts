import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameReader, type FrameReadResult } from './codec/frame-reader.js';
import { encodeFrame, joinPackets } from './codec/frames.js';
import { decodeHead, decodeReport, decodeStationAddress, encodeHead, encodePeriodQuery } from './codec/messages.js';
import { FN, Sl651Error, type EndMark, type Sl651Encoding, type Sl651Frame } from './codec/model.js';
import type { QueryCommand } from './centre-sim-commands.js';
import { DuplicateBook, fnCode, fnName, localIso, reportFields, toHex, type JsonObject } from './centre-sim-log.js';
import { PacketAssembler } from './centre-sim-packets.js';
import { peekHeader } from './centre-sim-peek.js';

/**
 * The SL 651-2014 centre simulator (中心站模拟器): a TCP server that plays a county centre for one or more telemetry
 * stations. It decodes everything a station sends, confirms what a centre confirms, sends the centre's queries on
 * demand and reports every event as one JSON object (`fenghuo sim --sl651-centre` prints them, one a line). The tests
 * use it, and a county technician checks a box with it before pointing the box at the real centre.
 *
 * Behaviour:
 * - Reports (30 测试报, 31..35) ending ETX are confirmed with a downlink frame (station then centre address, the same
 *   password and function code) whose body is the head: the report's serial and the centre's time, end mark ESC
 *   (`end: 'EOT'`: confirmed, the station may hang up). Answers to queries (37, 38, 3A, 51, 4A) likewise.
 * - Keep-alives (2F 链路维持报) are logged, never confirmed.
 * - Multi-packet messages (SYN … ETB, the last ETX): each packet is logged (`packet`), the message is decoded and
 *   confirmed once the last packet has come with every other; missing packets are asked for again with NAK.
 * - A frame with a CRC error whose header still parses gets a NAK (downlink, same function code, end NAK, the
 *   packet's position when it was one), so that the station sends it again; other unreadable bytes are logged only.
 * - With `password` set, a frame with another password is logged as error `password` and not confirmed.
 * - A message whose body does not decode is logged as an error and still confirmed when its head (serial) decoded:
 *   the frame itself arrived intact.
 *
 * Events (every one has `at`, the centre's ISO time in UTC, and `event`):
 * - `listening`: `address` (`127.0.0.1:5005`; the real port when asked for port 0).
 * - `connected`, `disconnected`: `peer` (`127.0.0.1:40000`); `disconnected` also `station` (null when none spoke).
 * - `frame` (a station's message) and `answer` (its answer to a query): `peer`, `encoding` (hex|ascii), `station`
 *   (10 hex digits), `centre` (number), `password` (4 hex digits), `fn` (2 hex digits), `fnName`, `serial`, `sent`
 *   (ISO with the wire's offset, e.g. +08:00), `packet` (null, or `{"total":N}` for a multi-packet message),
 *   `duplicate` (the same station, fn, serial and observation time was logged before in this run), `confirmed`
 *   (whether a confirmation was sent or is scheduled), `hex` (the frame, or the packets one after the other).
 *   Reports and data answers add `stationType` (the letter, `H`), `stationTypeName`, `observed`, `elements` (of the
 *   first observation group) and `groups` (`[{observed, elements}]`, only when there are several). An element is
 *   `{id, ascii, name, unit}` plus `value` (number or null), or `values` (F4..FC five-minute series), or
 *   `stepMinutes` and `values` (a step series), or `definition` and `raw` (hex) for one the codec does not know.
 *   Clock answers (51, 4A) add `clock` (the station's time, ISO with the wire's offset). Answers add `query` (the
 *   query it answers, e.g. `realtime`, or null when none was pending). Other function codes add `body` (hex).
 * - `packet`: one packet of a multi-packet message has come: `peer`, `station`, `fn`, `fnName`, `seq`, `total`, `hex`.
 * - `sent`: what the centre sent: `peer`, `station`, `fn`, `fnName`, `serial`, `end` (ESC, EOT, NAK or ENQ), `query`
 *   (for ENQ), `time` (for set-clock: the time set), `packet` (`{total, seq}` for a NAK of a packet, else null), `hex`.
 * - `error`: `code` (the codec's crc, start, truncated, length, end, element, body; and password, direction,
 *   packets, command, no-station, encode, socket, listen), `detail`, and where known `peer`, `station`, `fn`, `serial`,
 *   `nak` (whether a NAK was sent), `confirmed` (a message whose body did not decode), `query`, `line` (a bad
 *   command), `hex`.
 */

export type CentreEvent = JsonObject & { readonly at: string; readonly event: string };

export interface CentreSimOptions {
  readonly host: string;
  /** 0: any free port (see `address` after start). */
  readonly port: number;
  /** When set, frames with another password are refused (error `password`, no confirmation). */
  readonly password?: number;
  /** The confirmation's end mark: ESC (stay on line, default) or EOT (the station may hang up). */
  readonly end?: 'ESC' | 'EOT';
  /** False: never confirm (to test the station's resending). Default true. */
  readonly confirm?: boolean;
  /** Confirm this late (ms); default at once. */
  readonly confirmDelayMs?: number;
  /** The wire's offset from UTC in minutes; default 480 (Beijing). */
  readonly utcOffsetMinutes?: number;
  readonly onEvent: (event: CentreEvent) => void;
  /** The centre's clock (UTC ms); default Date.now. */
  readonly now?: () => number;
}

/** A connected station: its socket and what its frames told. */
interface Link {
  readonly socket: Socket;
  readonly peer: string;
  readonly reader: FrameReader;
  readonly packets: PacketAssembler;
  /** From the last frame that passed: where to send queries. */
  last?: { station: string; centre: number; password: number; encoding: Sl651Encoding };
  querySerial: number;
  /** Queries sent and not answered yet, by function code. */
  readonly pending: Map<number, string>;
}

const REPORT_FNS = new Set<number>([FN.test, FN.uniform, FN.timed, FN.added, FN.hourly, FN.manual]);
const DATA_ANSWER_FNS = new Set<number>([FN.queryRealtime, FN.queryPeriod, FN.queryElements]);
const CLOCK_ANSWER_FNS = new Set<number>([FN.queryClock, FN.setClock]);
const MAX_SERIAL = 0xffff;

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class CentreSimulator {
  private server: Server | undefined;
  private readonly links = new Set<Link>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly duplicates = new DuplicateBook();
  private readonly offset: number;
  private readonly now: () => number;
  private bound: { host: string; port: number } | undefined;

  constructor(private readonly opts: CentreSimOptions) {
    this.offset = opts.utcOffsetMinutes ?? 480;
    this.now = opts.now ?? Date.now;
  }

  /** Where it listens (after start). */
  get address(): { host: string; port: number } {
    if (!this.bound) throw new Error('CentreSimulator: not started');
    return this.bound;
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port };
    this.emit({ event: 'listening', address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}` });
    return this.bound;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const link of this.links) link.socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sends a query to the station it names, or to every station that has spoken; logs `sent` (or an error). */
  query(command: QueryCommand): void {
    const targets = [...this.links].filter((l) => l.last !== undefined && (command.station === undefined || l.last.station === command.station));
    if (targets.length === 0) {
      const detail = command.station === undefined ? 'no station connected (or none has sent a frame yet)' : `station ${command.station} is not connected (or has not sent a frame yet)`;
      this.emit({ event: 'error', code: 'no-station', detail, query: command.query });
      return;
    }
    for (const link of targets) this.sendQuery(link, command);
  }

  /** The centre's clock, down to the second (what a send time carries). */
  private wallSecond(): number {
    return Math.floor(this.now() / 1000) * 1000;
  }

  private emit(fields: JsonObject & { event: string }): void {
    this.opts.onEvent({ at: new Date(this.now()).toISOString(), ...fields });
  }

  private accept(socket: Socket): void {
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const link: Link = { socket, peer, reader: new FrameReader(), packets: new PacketAssembler(), querySerial: 0, pending: new Map() };
    this.links.add(link);
    this.emit({ event: 'connected', peer });
    socket.on('data', (chunk: Buffer) => {
      let results: FrameReadResult[];
      try {
        results = link.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (err) {
        this.emit({ event: 'error', peer, code: 'reader', detail: describe(err), hex: toHex(chunk) });
        return;
      }
      for (const r of results) this.handle(link, r);
    });
    socket.on('error', (err) => this.emit({ event: 'error', peer, code: 'socket', detail: err.message }));
    socket.on('close', () => {
      this.links.delete(link);
      this.emit({ event: 'disconnected', peer, station: link.last?.station ?? null });
    });
  }

  private write(link: Link, frame: Sl651Frame, extra: JsonObject): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(frame);
    } catch (err) {
      this.emit({ event: 'error', peer: link.peer, station: frame.station, fn: fnCode(frame.fn), code: err instanceof Sl651Error ? err.code : 'encode', detail: describe(err) });
      return;
    }
    if (link.socket.destroyed || !link.socket.writable) return;
    link.socket.write(bytes);
    this.emit({ event: 'sent', peer: link.peer, station: frame.station, fn: fnCode(frame.fn), fnName: fnName(frame.fn), end: frame.end, packet: frame.packet ? { total: frame.packet.total, seq: frame.packet.seq } : null, ...extra, hex: toHex(bytes) });
  }

  /** A downlink frame to the station a frame came from, head-only body. */
  private reply(link: Link, to: { encoding: Sl651Encoding; centre: number; station: string; password: number; fn: number }, serial: number, end: EndMark, packet?: { total: number; seq: number }): void {
    let body: Uint8Array;
    try {
      body = encodeHead({ serial, sentAt: this.wallSecond() }, to.encoding, { utcOffsetMinutes: this.offset });
    } catch (err) {
      this.emit({ event: 'error', peer: link.peer, station: to.station, fn: fnCode(to.fn), code: 'encode', detail: describe(err) });
      return;
    }
    const frame: Sl651Frame = { encoding: to.encoding, direction: 'down', centre: to.centre, station: to.station, password: to.password, fn: to.fn, body, end, ...(packet ? { packet } : {}) };
    this.write(link, frame, { serial });
  }

  /** Confirms a message, now or after the configured delay. */
  private confirm(link: Link, frame: Sl651Frame, serial: number): void {
    const send = (): void => this.reply(link, frame, serial, this.opts.end ?? 'ESC');
    const delay = this.opts.confirmDelayMs ?? 0;
    if (delay <= 0) {
      send();
    } else {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, delay);
      this.timers.add(timer);
    }
  }

  private handle(link: Link, result: FrameReadResult): void {
    const { peer } = link;
    if (!result.ok) {
      const hex = toHex(result.raw);
      const header = result.error.code === 'crc' ? peekHeader(result.raw, { utcOffsetMinutes: this.offset }) : undefined;
      if (header === undefined || header.direction !== 'up') {
        this.emit({ event: 'error', peer, code: result.error.code, detail: result.error.message, nak: false, hex });
        return;
      }
      this.emit({ event: 'error', peer, code: result.error.code, detail: result.error.message, station: header.station, fn: fnCode(header.fn), nak: true, hex });
      this.reply(link, header, header.serial ?? 0, 'NAK', header.packet);
      return;
    }
    const { frame, raw } = result;
    if (frame.direction !== 'up') {
      this.emit({ event: 'error', peer, code: 'direction', detail: 'a downlink frame from a station', station: frame.station, fn: fnCode(frame.fn), hex: toHex(raw) });
      return;
    }
    if (this.opts.password !== undefined && frame.password !== this.opts.password) {
      const want = this.opts.password.toString(16).toUpperCase().padStart(4, '0');
      const got = frame.password.toString(16).toUpperCase().padStart(4, '0');
      this.emit({ event: 'error', peer, code: 'password', detail: `password ${got}, expected ${want}: not confirmed`, station: frame.station, fn: fnCode(frame.fn), hex: toHex(raw) });
      return;
    }
    link.last = { station: frame.station, centre: frame.centre, password: frame.password, encoding: frame.encoding };
    if (frame.packet === undefined) {
      this.message(link, frame, frame.body, toHex(raw), null);
      return;
    }
    const outcome = link.packets.add(frame, raw);
    const on = { peer, station: frame.station, fn: fnCode(frame.fn), fnName: fnName(frame.fn) };
    switch (outcome.kind) {
      case 'pending':
        this.emit({ event: 'packet', ...on, seq: outcome.seq, total: outcome.total, hex: toHex(raw) });
        return;
      case 'missing':
        this.emit({ event: 'packet', ...on, seq: frame.packet.seq, total: frame.packet.total, hex: toHex(raw) });
        this.emit({ event: 'error', ...on, code: 'packets', detail: `the last packet came without packet(s) ${outcome.missing.join(', ')} of ${outcome.total}: NAK` });
        for (const seq of outcome.missing) this.reply(link, frame, 0, 'NAK', { total: outcome.total, seq });
        return;
      case 'complete': {
        this.emit({ event: 'packet', ...on, seq: frame.packet.seq, total: frame.packet.total, hex: toHex(raw) });
        let body: Uint8Array;
        try {
          body = joinPackets(outcome.packets.map((p) => p.frame));
        } catch (err) {
          this.emit({ event: 'error', ...on, code: err instanceof Sl651Error ? err.code : 'packets', detail: describe(err) });
          return;
        }
        const hex = outcome.packets.map((p) => toHex(p.raw)).join('');
        this.message(link, { ...frame, body, end: 'ETX' }, body, hex, { total: outcome.packets.length });
        return;
      }
    }
  }

  /** A whole message (one frame, or the packets joined): decode, log, then confirm (the line comes first). */
  private message(link: Link, frame: Sl651Frame, body: Uint8Array, hex: string, packet: { total: number } | null): void {
    const wire = { utcOffsetMinutes: this.offset };
    const on = { peer: link.peer, encoding: frame.encoding, station: frame.station, centre: frame.centre, password: frame.password.toString(16).toUpperCase().padStart(4, '0'), fn: fnCode(frame.fn), fnName: fnName(frame.fn) };
    // Keep-alives are never confirmed; a message is, when it ends ETX and confirmations are on.
    const confirming = frame.end === 'ETX' && frame.fn !== FN.keepAlive && this.opts.confirm !== false;
    let serial: number | undefined;
    let line: JsonObject & { event: string };
    try {
      const head = decodeHead(body, frame.encoding, wire);
      serial = head.serial;
      const common = { ...on, serial: head.serial, sent: localIso(head.sentAt, this.offset), packet };
      if (frame.fn === FN.keepAlive) {
        line = { event: 'frame', ...common, duplicate: false, confirmed: false, hex };
      } else if (REPORT_FNS.has(frame.fn) || DATA_ANSWER_FNS.has(frame.fn)) {
        const report = decodeReport(body, frame.encoding, wire);
        const answer = DATA_ANSWER_FNS.has(frame.fn);
        const duplicate = this.duplicates.check(frame.station, frame.fn, report.serial, report.groups[0]?.observedAt ?? null);
        const query: JsonObject = answer ? { query: this.answered(link, frame.fn) ?? null } : {};
        line = { event: answer ? 'answer' : 'frame', ...common, ...query, ...reportFields(report, this.offset), duplicate, confirmed: confirming, hex };
      } else if (CLOCK_ANSWER_FNS.has(frame.fn)) {
        const m = decodeStationAddress(body, frame.encoding, wire);
        const duplicate = this.duplicates.check(frame.station, frame.fn, m.serial, m.sentAt);
        line = { event: 'answer', ...common, query: this.answered(link, frame.fn) ?? null, clock: localIso(m.sentAt, this.offset), duplicate, confirmed: confirming, hex };
      } else {
        line = { event: 'frame', ...common, body: toHex(body), duplicate: false, confirmed: confirming, hex };
      }
    } catch (err) {
      if (!(err instanceof Sl651Error)) throw err;
      // The frame arrived intact (its CRC held): confirmed when at least its serial reads.
      line = { event: 'error', ...on, code: err.code, detail: err.message, serial: serial ?? null, confirmed: confirming && serial !== undefined, hex };
    }
    this.emit(line);
    if (line.confirmed === true && serial !== undefined) this.confirm(link, frame, serial);
  }

  /** The query a station's answer (by function code) answers, taken off the pending list. */
  private answered(link: Link, fn: number): string | undefined {
    const query = link.pending.get(fn);
    link.pending.delete(fn);
    return query;
  }

  private sendQuery(link: Link, command: QueryCommand): void {
    const last = link.last!;
    link.querySerial = (link.querySerial % MAX_SERIAL) + 1;
    const serial = link.querySerial;
    const wire = { utcOffsetMinutes: this.offset };
    // The wire carries whole seconds (the codec refuses to truncate silently).
    const sentAt = command.query === 'set-clock' && command.time !== undefined ? Math.floor(command.time / 1000) * 1000 : this.wallSecond();
    let body: Uint8Array;
    try {
      body =
        command.query === 'period'
          ? encodePeriodQuery({ serial, sentAt, from: command.from, to: command.to, stepMinutes: command.stepMinutes, id: command.element, definition: command.definition }, last.encoding, wire)
          : encodeHead({ serial, sentAt }, last.encoding, wire);
    } catch (err) {
      this.emit({ event: 'error', peer: link.peer, station: last.station, fn: fnCode(command.fn), code: err instanceof Sl651Error ? err.code : 'encode', detail: describe(err), query: command.query });
      return;
    }
    link.pending.set(command.fn, command.query);
    const frame: Sl651Frame = { encoding: last.encoding, direction: 'down', centre: last.centre, station: last.station, password: this.opts.password ?? last.password, fn: command.fn, body, end: 'ENQ' };
    this.write(link, frame, { serial, query: command.query, ...(command.query === 'set-clock' ? { time: localIso(sentAt, this.offset) } : {}) });
  }
}
