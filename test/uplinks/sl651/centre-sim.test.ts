// `fenghuo sim --sl651-centre` end to end: the real CLI (bin/fenghuo.js → dist/) as the county centre, a test station
// on node:net sending frames made with the SL 651 codec; the JSON lines on stdout and the frames the centre sends
// back (confirmations, NAKs, queries) decoded with the same codec.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../node-daemon/core/paths.js';
import { FrameReader } from '../../../node-daemon/uplinks/sl651/codec/frame-reader.js';
import { encodeFrame, splitPackets } from '../../../node-daemon/uplinks/sl651/codec/frames.js';
import { decodeHead, decodePeriodQuery, encodeHead, encodeReport, encodeStationAddress } from '../../../node-daemon/uplinks/sl651/codec/messages.js';
import { FN, STATION_TYPE, type ElementValue, type ReportMessage, type Sl651Encoding, type Sl651Frame } from '../../../node-daemon/uplinks/sl651/codec/model.js';
import { ensureDistBuilt } from '../../helpers/dist-build.js';
import { waitFor } from '../../helpers/wait-for.js';

const root = packageRoot();
const run = promisify(execFile);
const STATION = '0012345678';
const CENTRE = 1;
const PASSWORD = 0x1234;
const WIRE = { utcOffsetMinutes: 480 };
/** 2026-12-06 10:00 Beijing. */
const OBSERVED = Date.parse('2026-12-06T10:00:00+08:00');
const SENT = Date.parse('2026-12-06T10:00:05+08:00');

type Line = Record<string, unknown> & { event: string };

interface Centre {
  readonly child: ChildProcess;
  readonly lines: Line[];
  readonly port: number;
  /** The first line after `from` (an index into lines) that matches. */
  next(match: (l: Line) => boolean, what: string, from?: number): Promise<Line>;
  command(json: object): void;
  stop(): Promise<number | null>;
}

async function startCentre(...args: string[]): Promise<Centre> {
  const child = spawn(process.execPath, [join(root, 'bin', 'fenghuo.js'), 'sim', '--sl651-centre', '127.0.0.1:0', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Line[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Line));
  const next = async (match: (l: Line) => boolean, what: string, from = 0): Promise<Line> => {
    await waitFor(() => lines.slice(from).some(match), `${what}; lines so far:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`, 10_000);
    return lines.slice(from).find(match)!;
  };
  const listening = await next((l) => l.event === 'listening', 'the listening line');
  const port = Number(String(listening.address).split(':').pop());
  return {
    child,
    lines,
    port,
    next,
    command: (json) => child.stdin!.write(`${JSON.stringify(json)}\n`),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A telemetry station on a TCP connection: sends bytes, collects the frames the centre sends back. */
interface Station {
  readonly socket: Socket;
  readonly received: Sl651Frame[];
  send(bytes: Uint8Array): void;
  /** The next frame received after the first `from`. */
  frame(from: number, what: string): Promise<Sl651Frame>;
  close(): void;
}

async function connectStation(port: number): Promise<Station> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const reader = new FrameReader();
  const received: Sl651Frame[] = [];
  const errors: string[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const r of reader.push(new Uint8Array(chunk))) {
      if (r.ok) received.push(r.frame);
      else errors.push(`${r.error.code}: ${r.error.message}`);
    }
  });
  return {
    socket,
    received,
    send: (bytes) => socket.write(bytes),
    frame: async (from, what) => {
      await waitFor(() => received.length > from || errors.length > 0, what, 10_000);
      expect(errors, 'frames from the centre that do not decode').toEqual([]);
      return received[from]!;
    },
    close: () => socket.destroy(),
  };
}

const level = (value: number): ElementValue => ({ kind: 'number', id: 0x39, definition: 0x23, value });

function report(serial: number, value: number, observedAt = OBSERVED): ReportMessage {
  return { serial, sentAt: SENT, station: STATION, stationType: STATION_TYPE.river, groups: [{ observedAt, elements: [level(value)] }] };
}

function uplink(fn: number, body: Uint8Array, password = PASSWORD, encoding: Sl651Encoding = 'hex'): Uint8Array {
  return encodeFrame({ encoding, direction: 'up', centre: CENTRE, station: STATION, password, fn, body, end: 'ETX' });
}

const reportFrame = (fn: number, r: ReportMessage, password = PASSWORD, encoding: Sl651Encoding = 'hex'): Uint8Array =>
  uplink(fn, encodeReport(r, encoding, WIRE), password, encoding);

const isFrame = (fn: string, serial: number) => (l: Line) => (l.event === 'frame' || l.event === 'answer') && l.fn === fn && l.serial === serial;

/** A downlink confirmation of `fn` for `serial`, end mark `end`. */
function expectReply(f: Sl651Frame, fn: number, serial: number, end: string, encoding: Sl651Encoding = 'hex'): void {
  expect(f).toMatchObject({ encoding, direction: 'down', station: STATION, centre: CENTRE, password: PASSWORD, fn, end });
  expect(decodeHead(f.body, encoding, WIRE).serial).toBe(serial);
}

beforeAll(() => ensureDistBuilt(), 300_000);

describe('fenghuo sim --sl651-centre', () => {
  let centre: Centre;
  let station: Station;
  beforeAll(async () => {
    centre = await startCentre();
    station = await connectStation(centre.port);
    await centre.next((l) => l.event === 'connected', 'connected');
  });
  afterAll(async () => {
    station.close();
    expect(await centre.stop()).toBe(0);
  });

  it('logs a 定时报 with its elements and confirms it (downlink, same serial, ESC); the same again is a duplicate', async () => {
    const before = station.received.length;
    station.send(reportFrame(FN.timed, report(7, 3.512)));
    const line = await centre.next(isFrame('32', 7), 'the 定时报');
    expect(line).toMatchObject({
      event: 'frame',
      encoding: 'hex',
      station: STATION,
      centre: CENTRE,
      fn: '32',
      fnName: '遥测站定时报',
      serial: 7,
      sent: '2026-12-06T10:00:05+08:00',
      stationType: 'H',
      observed: '2026-12-06T10:00:00+08:00',
      elements: [{ id: '39', name: '瞬时河道水位、潮位', unit: 'm', value: 3.512 }],
      packet: null,
      duplicate: false,
      confirmed: true,
    });
    expect(line.hex).toMatch(/^7E7E010012345678123432/);
    expect(line).not.toHaveProperty('groups');
    expectReply(await station.frame(before, 'the confirmation'), FN.timed, 7, 'ESC');

    const mark = centre.lines.length;
    station.send(reportFrame(FN.timed, report(7, 3.512)));
    expect(await centre.next(isFrame('32', 7), 'the 定时报 again', mark)).toMatchObject({ duplicate: true, confirmed: true });
    expectReply(await station.frame(before + 1, 'the second confirmation'), FN.timed, 7, 'ESC');
  });

  it('decodes and confirms an ASCII frame in ASCII', async () => {
    const before = station.received.length;
    station.send(reportFrame(FN.timed, report(14, 3.4, OBSERVED + 3_600_000), PASSWORD, 'ascii'));
    expect(await centre.next(isFrame('32', 14), 'the ASCII 定时报')).toMatchObject({
      encoding: 'ascii',
      observed: '2026-12-06T11:00:00+08:00',
      elements: [{ id: '39', ascii: 'Z', value: 3.4 }],
      confirmed: true,
    });
    expectReply(await station.frame(before, 'the ASCII confirmation'), FN.timed, 14, 'ESC', 'ascii');
  });

  it('logs a keep-alive (2F) without confirming it', async () => {
    const before = station.received.length;
    station.send(uplink(FN.keepAlive, encodeHead({ serial: 8, sentAt: SENT }, 'hex', WIRE)));
    expect(await centre.next(isFrame('2F', 8), 'the keep-alive')).toMatchObject({ fnName: '链路维持报', sent: '2026-12-06T10:00:05+08:00', confirmed: false });
    // A report after it: the next frame back is the report's confirmation, nothing came for the keep-alive.
    station.send(reportFrame(FN.added, report(9, 3.6)));
    await centre.next(isFrame('33', 9), 'the 加报报');
    expectReply(await station.frame(before, 'the 加报报 confirmation'), FN.added, 9, 'ESC');
  });

  it('answers a frame with a CRC error NAK (so the station sends it again), and ignores garbage', async () => {
    const before = station.received.length;
    const mark = centre.lines.length;
    station.send(new Uint8Array([0x55, 0xaa, 0x00]));
    const bad = reportFrame(FN.timed, report(10, 3.7));
    bad.set([bad[bad.length - 1]! ^ 0xff], bad.length - 1);
    station.send(bad);
    const error = await centre.next((l) => l.event === 'error' && l.code === 'crc', 'the CRC error', mark);
    expect(error).toMatchObject({ station: STATION, fn: '32', nak: true });
    const nak = await station.frame(before, 'the NAK');
    expect(nak).toMatchObject({ direction: 'down', station: STATION, fn: FN.timed, end: 'NAK' });
    // Sent again intact: logged and confirmed.
    station.send(reportFrame(FN.timed, report(10, 3.7)));
    expect(await centre.next(isFrame('32', 10), 'the report sent again', mark)).toMatchObject({ confirmed: true, elements: [{ value: 3.7 }] });
    expectReply(await station.frame(before + 1, 'its confirmation'), FN.timed, 10, 'ESC');
  });

  it('joins a two-packet 小时报 and confirms it once the last packet (ETX) came', async () => {
    const before = station.received.length;
    const mark = centre.lines.length;
    const fiveMinute: ElementValue = { kind: 'fiveMinute', id: 0xf5, definition: 0xc0, values: [3.51, 3.52, 3.53, 3.54, 3.55, 3.56, 3.57, 3.58, 3.59, 3.6, 3.61, null] };
    const r: ReportMessage = { ...report(11, 3.61), groups: [{ observedAt: OBSERVED, elements: [fiveMinute, level(3.61)] }] };
    const body = encodeReport(r, 'hex', WIRE);
    const packets = splitPackets({ encoding: 'hex', direction: 'up', centre: CENTRE, station: STATION, password: PASSWORD, fn: FN.hourly }, body, Math.ceil(body.length / 2) + 3);
    expect(packets).toHaveLength(2);
    station.send(encodeFrame(packets[0]!));
    await centre.next((l) => l.event === 'packet' && l.seq === 1 && l.total === 2, 'the first packet', mark);
    expect(station.received.length).toBe(before);
    station.send(encodeFrame(packets[1]!));
    const line = await centre.next(isFrame('34', 11), 'the joined 小时报', mark);
    expect(line).toMatchObject({
      packet: { total: 2 },
      confirmed: true,
      elements: [
        { id: 'F5', values: [3.51, 3.52, 3.53, 3.54, 3.55, 3.56, 3.57, 3.58, 3.59, 3.6, 3.61, null] },
        { id: '39', value: 3.61 },
      ],
    });
    expectReply(await station.frame(before, 'the confirmation of the whole message'), FN.hourly, 11, 'ESC');

    // The last packet first: the centre NAKs the missing one (its position in the NAK), then confirms when it came.
    const again = splitPackets({ encoding: 'hex', direction: 'up', centre: CENTRE, station: STATION, password: PASSWORD, fn: FN.hourly }, encodeReport({ ...r, serial: 15 }, 'hex', WIRE), Math.ceil(body.length / 2) + 3);
    const mark2 = centre.lines.length;
    station.send(encodeFrame(again[1]!));
    await centre.next((l) => l.event === 'error' && l.code === 'packets', 'the missing packet', mark2);
    const nak = await station.frame(before + 1, 'the NAK for packet 1');
    expect(nak).toMatchObject({ direction: 'down', fn: FN.hourly, end: 'NAK', packet: { total: 2, seq: 1 } });
    station.send(encodeFrame(again[0]!));
    expect(await centre.next(isFrame('34', 15), 'the message once packet 1 came', mark2)).toMatchObject({ packet: { total: 2 }, confirmed: true });
    expectReply(await station.frame(before + 2, 'its confirmation'), FN.hourly, 15, 'ESC');
  });

  it('sends the queries on stdin (ENQ) and logs and confirms the station\'s answers', async () => {
    let before = station.received.length;
    let mark = centre.lines.length;
    centre.command({ query: 'realtime' });
    const query = await station.frame(before, 'the 37 query');
    expect(query).toMatchObject({ direction: 'down', station: STATION, centre: CENTRE, password: PASSWORD, fn: FN.queryRealtime, end: 'ENQ' });
    await centre.next((l) => l.event === 'sent' && l.end === 'ENQ' && l.query === 'realtime', 'the sent line', mark);
    station.send(reportFrame(FN.queryRealtime, report(12, 3.8)));
    expect(await centre.next(isFrame('37', 12), 'the realtime answer', mark)).toMatchObject({
      event: 'answer',
      query: 'realtime',
      elements: [{ id: '39', value: 3.8 }],
      confirmed: true,
    });
    expectReply(await station.frame(before + 1, 'the answer\'s confirmation'), FN.queryRealtime, 12, 'ESC');

    before = station.received.length;
    mark = centre.lines.length;
    centre.command({ query: 'period', from: '2026-12-06T10:00+08:00', to: '2026-12-06T12:00+08:00', stepMinutes: 5, element: '39', station: STATION });
    const period = await station.frame(before, 'the 38 query');
    expect(period).toMatchObject({ direction: 'down', fn: FN.queryPeriod, end: 'ENQ' });
    expect(decodePeriodQuery(period.body, 'hex', WIRE)).toMatchObject({
      from: OBSERVED,
      to: Date.parse('2026-12-06T12:00:00+08:00'),
      stepMinutes: 5,
      id: 0x39,
      definition: 0x23,
    });

    before = station.received.length;
    mark = centre.lines.length;
    centre.command({ query: 'clock' });
    const clock = await station.frame(before, 'the 51 query');
    expect(clock).toMatchObject({ direction: 'down', fn: FN.queryClock, end: 'ENQ' });
    station.send(uplink(FN.queryClock, encodeStationAddress({ serial: 13, sentAt: SENT, station: STATION }, 'hex', WIRE)));
    expect(await centre.next(isFrame('51', 13), 'the clock answer', mark)).toMatchObject({ event: 'answer', query: 'clock', clock: '2026-12-06T10:00:05+08:00', confirmed: true });
    expectReply(await station.frame(before + 1, 'the clock answer\'s confirmation'), FN.queryClock, 13, 'ESC');

    before = station.received.length;
    centre.command({ query: 'set-clock', time: '2026-12-06T12:00:00+08:00' });
    const set = await station.frame(before, 'the 4A query');
    expect(set).toMatchObject({ direction: 'down', fn: FN.setClock, end: 'ENQ' });
    expect(decodeHead(set.body, 'hex', WIRE).sentAt).toBe(Date.parse('2026-12-06T12:00:00+08:00'));

    mark = centre.lines.length;
    centre.command({ query: 'clock', station: '9999999999' });
    centre.command({ query: 'nonsense' });
    await centre.next((l) => l.event === 'error' && l.code === 'no-station', 'no-station', mark);
    await centre.next((l) => l.event === 'error' && l.code === 'command', 'a bad command', mark);
  });
});

describe('fenghuo sim --sl651-centre --password 1234 --end eot', () => {
  it('refuses a wrong password (no confirmation) and confirms with EOT', async () => {
    const centre = await startCentre('--password', '1234', '--end', 'eot');
    const station = await connectStation(centre.port);
    try {
      station.send(reportFrame(FN.timed, report(20, 3.1), 0x4321));
      expect(await centre.next((l) => l.event === 'error' && l.code === 'password', 'the password error')).toMatchObject({ station: STATION, fn: '32' });
      station.send(reportFrame(FN.timed, report(21, 3.2)));
      await centre.next(isFrame('32', 21), 'the report with the right password');
      // Only the second report was confirmed.
      expectReply(await station.frame(0, 'the confirmation'), FN.timed, 21, 'EOT');
      expect(centre.lines.some(isFrame('32', 20))).toBe(false);
    } finally {
      station.close();
      expect(await centre.stop()).toBe(0);
    }
  });
});

describe('fenghuo sim --sl651-centre --confirm-delay-ms 400', () => {
  it('confirms late', async () => {
    const centre = await startCentre('--confirm-delay-ms', '400');
    const station = await connectStation(centre.port);
    try {
      const sentAt = Date.now();
      station.send(reportFrame(FN.timed, report(40, 3.4)));
      expect(await centre.next(isFrame('32', 40), 'the report')).toMatchObject({ confirmed: true });
      expectReply(await station.frame(0, 'the late confirmation'), FN.timed, 40, 'ESC');
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(400);
    } finally {
      station.close();
      expect(await centre.stop()).toBe(0);
    }
  });
});

describe('fenghuo sim --sl651-centre: usage', () => {
  it('is in `fenghuo sim --help`; a bad flag exits 2 with the usage', async () => {
    const help = await run(process.execPath, [join(root, 'bin', 'fenghuo.js'), 'sim', '--help']);
    expect(help.stdout).toContain('fenghuo sim --sl651-centre HOST:PORT');
    expect(help.stdout).toContain('--confirm-delay-ms N');
    const bad = await run(process.execPath, [join(root, 'bin', 'fenghuo.js'), 'sim', '--sl651-centre', '127.0.0.1:0', '--end', 'later']).catch((e: unknown) => e as { code: number; stderr: string });
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--end must be esc or eot[\s\S]*usage: fenghuo sim --sl651-centre/);
  });
});

describe('fenghuo sim --sl651-centre --no-confirm', () => {
  it('logs a report without confirming it', async () => {
    const centre = await startCentre('--no-confirm');
    const station = await connectStation(centre.port);
    try {
      station.send(reportFrame(FN.timed, report(30, 3.3)));
      expect(await centre.next(isFrame('32', 30), 'the report')).toMatchObject({ confirmed: false });
      station.send(uplink(FN.keepAlive, encodeHead({ serial: 31, sentAt: SENT }, 'hex', WIRE)));
      await centre.next(isFrame('2F', 31), 'a keep-alive after it');
      expect(station.received).toEqual([]);
    } finally {
      station.close();
      expect(await centre.stop()).toBe(0);
    }
  });
});
