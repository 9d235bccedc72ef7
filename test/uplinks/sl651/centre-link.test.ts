// The SL 651 centre link (centre-link.ts) against a centre played at the byte level: a real TCP server on
// 127.0.0.1 that reads what the link sends with the codec's FrameReader and answers with encodeFrame downlink frames
// (confirmations, NAKs, queries, garbage). Only the link's queue is faked (an in-memory LinkOutbox, our own port).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../node-daemon/core/log.js';
import { CentreLink, type LinkOutbox, type QueuedReport } from '../../../node-daemon/uplinks/sl651/centre-link.js';
import { FrameReader } from '../../../node-daemon/uplinks/sl651/codec/frame-reader.js';
import { encodeFrame } from '../../../node-daemon/uplinks/sl651/codec/frames.js';
import { decodeHead, decodeReport, decodeStationAddress, encodeHead, encodePeriodQuery } from '../../../node-daemon/uplinks/sl651/codec/messages.js';
import { FN, type EndMark, type ObservationGroup, type Sl651Frame } from '../../../node-daemon/uplinks/sl651/codec/model.js';
import { sl651CentreSchema, type Sl651CentreConfig } from '../../../node-daemon/uplinks/sl651/config-schema.js';
import { stationAnswers } from '../../../node-daemon/uplinks/sl651/query-answers.js';
import { waitFor } from '../../helpers/wait-for.js';

const STATION = '00123456AB';
const CENTRE = 7;
const PASSWORD = 0x1234;
const WIRE = { utcOffsetMinutes: 480 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Generous: the machine may be loaded; conditions are polled, never slept for. */
const WAIT_MS = 10_000;
const REPORT_FNS = new Set<number>([FN.test, FN.uniform, FN.timed, FN.added, FN.hourly, FN.manual]);
const LEVEL_M = 1.234;
const RAIN = { h1: 2.5, h3: 6, h6: 9.5 };

const wireNow = (): number => Math.floor(Date.now() / 1000) * 1000;

// ---- the queue: an in-memory LinkOutbox ----

interface Row {
  readonly report: QueuedReport;
  confirmedAt: number | undefined;
  sends: number;
}

class MemoryOutbox implements LinkOutbox {
  readonly rows: Row[] = [];
  /** Every confirmation that matched a report, in order (a report confirmed twice would show twice). */
  readonly confirmedIds: number[] = [];
  private nextId = 1;

  add(serial: number, fn: number = FN.timed): QueuedReport {
    const observedAt = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
    const groups: ObservationGroup[] = [{ observedAt, elements: [{ kind: 'number', id: 0x39, definition: 0x23, value: serial / 1000 }] }];
    const report: QueuedReport = { id: this.nextId++, fn, serial, observedAt, groups };
    this.rows.push({ report, confirmedAt: undefined, sends: 0 });
    return report;
  }

  nextUnconfirmed(): QueuedReport | undefined {
    return this.rows.find((r) => r.confirmedAt === undefined)?.report;
  }

  markSent(id: number): void {
    const row = this.rows.find((r) => r.report.id === id);
    if (row !== undefined) row.sends += 1;
  }

  confirm(serial: number, fn: number, at: number): boolean {
    const row = this.rows.find((r) => r.confirmedAt === undefined && r.report.serial === serial && r.report.fn === fn);
    if (row === undefined) return false;
    row.confirmedAt = at;
    this.confirmedIds.push(row.report.id);
    return true;
  }

  queueLength(): number {
    return this.rows.filter((r) => r.confirmedAt === undefined).length;
  }

  lastConfirmedAt(): number | undefined {
    const times = this.rows.flatMap((r) => (r.confirmedAt === undefined ? [] : [r.confirmedAt]));
    return times.length === 0 ? undefined : Math.max(...times);
  }

  confirmedTimes(id: number): number {
    return this.confirmedIds.filter((x) => x === id).length;
  }
}

// ---- the centre: a TCP server speaking SL 651 HEX ----

interface Received {
  /** 1 for the first connection the centre accepted, 2 for the next… */
  readonly conn: number;
  readonly frame: Sl651Frame;
  readonly serial: number;
  /** performance.now() when it arrived. */
  readonly at: number;
}

type Step = { readonly kind: 'recv'; readonly serial: number; readonly conn: number } | { readonly kind: 'confirm'; readonly serial: number };

class FakeCentre {
  readonly received: Received[] = [];
  /** Reports received and confirmations sent, in the centre's order. */
  readonly timeline: Step[] = [];
  /** What the centre's own reader could not read (the link must send only good frames). */
  readonly readErrors: string[] = [];
  readonly sockets = new Map<number, Socket>();
  readonly closedConns = new Set<number>();
  /** performance.now() when each connection was accepted and when it closed, by connection number. */
  readonly acceptedAt = new Map<number, number>();
  readonly closedAt = new Map<number, number>();
  /** Date.now() when each connection was accepted (to compare with the link's nextAttemptAt). */
  readonly acceptedWall = new Map<number, number>();
  connections = 0;
  port = 0;
  /** What the centre does with a report; by default it confirms it at once. */
  onReport: (r: Received) => void = (r) => this.confirm(r);
  private server: Server | undefined;

  async listen(port = 0): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** The centre goes away: no more listening, every connection cut. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets.values()) s.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  latest(): Socket {
    const s = this.sockets.get(this.connections);
    if (s === undefined) throw new Error('no connection yet');
    return s;
  }

  reports(): Received[] {
    return this.received.filter((r) => REPORT_FNS.has(r.frame.fn));
  }

  of(fn: number, serial?: number): Received[] {
    return this.received.filter((r) => r.frame.fn === fn && (serial === undefined || r.serial === serial));
  }

  /** A downlink frame to this box (or, with `over`, to another station, with another password…). */
  frame(fn: number, body: Uint8Array, end: EndMark, over: Partial<Sl651Frame> = {}): Uint8Array {
    return encodeFrame({ encoding: 'hex', direction: 'down', centre: CENTRE, station: STATION, password: PASSWORD, fn, body, end, ...over });
  }

  write(bytes: Uint8Array, socket: Socket = this.latest()): void {
    if (!socket.destroyed) socket.write(bytes);
  }

  confirm(r: Received, end: EndMark = 'ESC'): void {
    this.timeline.push({ kind: 'confirm', serial: r.serial });
    const socket = this.sockets.get(r.conn);
    if (socket !== undefined) this.write(this.frame(r.frame.fn, encodeHead({ serial: r.serial, sentAt: wireNow() }, 'hex', WIRE), end), socket);
  }

  query(fn: number, serial: number, over: Partial<Sl651Frame> = {}): void {
    this.write(this.frame(fn, encodeHead({ serial, sentAt: wireNow() }, 'hex', WIRE), 'ENQ', over));
  }

  private accept(socket: Socket): void {
    const conn = ++this.connections;
    this.sockets.set(conn, socket);
    this.acceptedAt.set(conn, performance.now());
    this.acceptedWall.set(conn, Date.now());
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const r of reader.push(chunk)) {
        if (!r.ok) {
          this.readErrors.push(r.error.code);
          continue;
        }
        const rec: Received = { conn, frame: r.frame, serial: decodeHead(r.frame.body, 'hex', WIRE).serial, at: performance.now() };
        this.received.push(rec);
        if (REPORT_FNS.has(r.frame.fn)) {
          this.timeline.push({ kind: 'recv', serial: rec.serial, conn });
          this.onReport(rec);
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedConns.add(conn);
      this.closedAt.set(conn, performance.now());
    });
  }
}

// ---- the link under test ----

interface LogLine {
  readonly level: string;
  readonly event?: string;
  readonly [key: string]: unknown;
}

function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  return { log, lines };
}

function centreConfig(port: number, over: Partial<Sl651CentreConfig> = {}): Sl651CentreConfig {
  const parsed = sl651CentreSchema.parse({
    id: 'county',
    host: '127.0.0.1',
    port,
    centre: CENTRE,
    station: STATION.toLowerCase(),
    password: '1234',
    levels: [{ element: '39', sensor: 'gauge' }],
    rain: [{ element: '1A', site: 'bridge' }],
    clockSetMaxSkewS: 300,
    // Long enough never to pass where the centre answers; the tests of timeouts set their own, shorter.
    confirmTimeoutMs: 3_000,
    keepAliveS: 3_600,
  });
  // The schema's floors (confirmTimeoutMs 500, keepAliveS 5) are for operators; the link takes what it is given.
  return { ...parsed, ...over };
}

const links: CentreLink[] = [];
const centres: FakeCentre[] = [];

afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.stop()));
  await Promise.all(centres.splice(0).map((c) => c.kill()));
});

async function newCentre(): Promise<FakeCentre> {
  const c = new FakeCentre();
  await c.listen();
  centres.push(c);
  return c;
}

function newLink(port: number, outbox: LinkOutbox, over: Partial<Sl651CentreConfig> = {}, log: Logger = capturingLogger().log): CentreLink {
  const config = centreConfig(port, over);
  const link = new CentreLink({
    config,
    outbox,
    answers: stationAnswers(config, { levelAt: () => LEVEL_M, rainAt: () => RAIN, clockTrusted: () => true }),
    clock: Date.now,
    log,
    // Every backoff at its floor (0.5 s): reconnects come soon, the test stays short.
    random: () => 0,
  });
  links.push(link);
  link.start();
  return link;
}

/** The centre never confirms a report after the centre confirmed it, and every report arrives after the previous one's confirmation. */
function expectOneAtATime(centre: FakeCentre, serials: readonly number[]): void {
  const confirmedAt = (s: number): number => centre.timeline.findIndex((t) => t.kind === 'confirm' && t.serial === s);
  const firstRecv = (s: number): number => centre.timeline.findIndex((t) => t.kind === 'recv' && t.serial === s);
  serials.forEach((s, i) => {
    expect(confirmedAt(s), `serial ${s} confirmed`).toBeGreaterThanOrEqual(0);
    const after = centre.timeline.slice(confirmedAt(s) + 1);
    expect(after.filter((t) => t.kind === 'recv' && t.serial === s), `serial ${s} sent again after its confirmation`).toEqual([]);
    const prev = serials[i - 1];
    if (prev !== undefined) expect(firstRecv(s), `serial ${s} before ${prev} was confirmed`).toBeGreaterThan(confirmedAt(prev));
  });
}

describe('SL 651 centre link against a centre on TCP', () => {
  it('sends the queue oldest first, one report at a time, each after the previous was confirmed; wake() sends a new one at once', async () => {
    const centre = await newCentre();
    // The centre confirms after a while: a link that did not wait would send the next report meanwhile.
    centre.onReport = (r) => void setTimeout(() => centre.confirm(r), 60);
    const outbox = new MemoryOutbox();
    const queued = [outbox.add(10, FN.timed), outbox.add(11, FN.added), outbox.add(12, FN.timed), outbox.add(13, FN.hourly)];
    const link = newLink(centre.port, outbox);

    await waitFor(() => outbox.queueLength() === 0, 'the queue to drain', WAIT_MS);
    expect(centre.reports().map((r) => [r.serial, r.frame.fn])).toEqual(queued.map((q) => [q.serial, q.fn]));
    expectOneAtATime(centre, [10, 11, 12, 13]);
    expect(queued.map((q) => outbox.confirmedTimes(q.id))).toEqual([1, 1, 1, 1]);

    // What went on the wire: this station, this centre, its password, the report's serial and values.
    const first = centre.reports()[0];
    expect(first?.frame).toMatchObject({ direction: 'up', station: STATION, centre: CENTRE, password: PASSWORD, end: 'ETX' });
    const body = decodeReport(first?.frame.body ?? new Uint8Array(), 'hex', WIRE);
    expect(body).toMatchObject({ serial: 10, station: STATION, stationType: 0x48 });
    expect(body.groups).toEqual(queued[0]?.groups);

    // A report queued while the link idles (keep-alive an hour away) goes when the link is woken.
    const late = outbox.add(14, FN.added);
    link.wake();
    await waitFor(() => outbox.confirmedTimes(late.id) === 1, 'the woken report to be confirmed', WAIT_MS);
    const h = link.health();
    expect(h).toMatchObject({ state: 'connected', queueLength: 0, station: STATION, address: `127.0.0.1:${centre.port}` });
    expect(h.lastConfirmedAt).toBeTypeOf('number');
    expect(h.counters).toMatchObject({ reportsSent: 5, reportsConfirmed: 5, resends: 0, connects: 1, frameErrors: 0 });
    expect(centre.readErrors).toEqual([]);
  });

  it('sends a refused report (NAK) again with the same serial', async () => {
    const centre = await newCentre();
    let naks = 0;
    centre.onReport = (r) => {
      if (r.serial === 20 && naks === 0) {
        naks += 1;
        centre.write(centre.frame(r.frame.fn, encodeHead({ serial: r.serial, sentAt: wireNow() }, 'hex', WIRE), 'NAK'));
      } else centre.confirm(r);
    };
    const outbox = new MemoryOutbox();
    const a = outbox.add(20);
    const b = outbox.add(21);
    const link = newLink(centre.port, outbox);

    await waitFor(() => outbox.queueLength() === 0, 'the queue to drain', WAIT_MS);
    expect(centre.reports().map((r) => r.serial)).toEqual([20, 20, 21]);
    expect(centre.reports().map((r) => r.frame.fn)).toEqual([a.fn, a.fn, b.fn]);
    expect(outbox.confirmedIds).toEqual([a.id, b.id]);
    expect(link.health().counters).toMatchObject({ reportsSent: 3, resends: 1, reportsConfirmed: 2, connects: 1 });
  });

  it('resends an unconfirmed report after confirmTimeoutMs; after 3 tries drops the connection, connects anew and gets it confirmed', async () => {
    const centre = await newCentre();
    // Silent on the first connection; confirms on the next.
    centre.onReport = (r) => {
      if (r.conn > 1) centre.confirm(r);
    };
    const outbox = new MemoryOutbox();
    const report = outbox.add(30);
    const { log, lines } = capturingLogger();
    const link = newLink(centre.port, outbox, { confirmTimeoutMs: 200 }, log);

    await waitFor(() => outbox.confirmedTimes(report.id) === 1, 'the report to be confirmed on a new connection', WAIT_MS);
    const onFirst = centre.reports().filter((r) => r.conn === 1);
    expect(onFirst.map((r) => r.serial)).toEqual([30, 30, 30]);
    // Each resend waited for the timeout (less the slack of a loaded machine in the gap measured at the centre).
    for (let i = 1; i < onFirst.length; i++) expect((onFirst[i]?.at ?? 0) - (onFirst[i - 1]?.at ?? 0)).toBeGreaterThan(100);
    expect(centre.closedConns.has(1)).toBe(true);
    // The new connection came after the backoff (0.5 s here), not at once: a timer can only be late, never early.
    expect((centre.acceptedAt.get(2) ?? 0) - (centre.closedAt.get(1) ?? Infinity)).toBeGreaterThan(400);
    expect(centre.reports().filter((r) => r.conn === 2).map((r) => r.serial)).toEqual([30]);
    expect(link.health().counters).toMatchObject({ reportsSent: 4, resends: 2, reportsConfirmed: 1, connects: 2 });
    expect(lines.filter((l) => l.event === 'sl651.report_unconfirmed')).toHaveLength(3);
    const down = lines.find((l) => l.event === 'sl651.link_down');
    expect(String(down?.error)).toMatch(/not confirmed after 3 tries/);
    // The confirmation started the backoff over and cleared the error.
    expect(link.health().lastError).toBeUndefined();
  });

  it('takes a confirmation that comes after the resend: confirmed once, not sent a third time; a confirmation of a report not sent yet is ignored', async () => {
    const centre = await newCentre();
    const outbox = new MemoryOutbox();
    centre.onReport = (r) => {
      if (r.serial !== 40) return centre.confirm(r);
      const copies = centre.of(r.frame.fn, 40);
      // The first copy: no word until the resend has come; then the late confirmation of the first and, for good
      // measure, a second of the resend.
      if (copies.length === 2) {
        const [firstCopy, resend] = copies;
        if (firstCopy !== undefined && resend !== undefined) {
          // Meanwhile, a confirmation for 41, queued and not yet sent: it must not take 41 off the queue.
          centre.write(centre.frame(FN.timed, encodeHead({ serial: 41, sentAt: wireNow() }, 'hex', WIRE), 'ESC'));
          centre.confirm(firstCopy);
          centre.confirm(resend);
        }
      }
    };
    const a = outbox.add(40);
    const b = outbox.add(41);
    const link = newLink(centre.port, outbox, { confirmTimeoutMs: 500 });

    await waitFor(() => outbox.queueLength() === 0, 'the queue to drain', WAIT_MS);
    expect(centre.reports().map((r) => r.serial)).toEqual([40, 40, 41]);
    expect(outbox.confirmedIds).toEqual([a.id, b.id]);
    expect(link.health().counters).toMatchObject({ reportsSent: 3, resends: 1, reportsConfirmed: 2, connects: 1 });
    expectOneAtATime(centre, [40, 41]);
  });

  it('backs off while the centre is gone, then reconnects on the same port and drains the queue oldest first, nothing lost or repeated', async () => {
    const centre = await newCentre();
    const port = centre.port;
    const outbox = new MemoryOutbox();
    const [r50, r51] = [outbox.add(50), outbox.add(51)];
    // 52 reaches the centre, which dies before it confirms it.
    centre.onReport = (r) => {
      if (r.serial !== 52) centre.confirm(r);
    };
    const link = newLink(centre.port, outbox);
    await waitFor(() => outbox.queueLength() === 0, 'the first two to be confirmed', WAIT_MS);
    const r52 = outbox.add(52);
    link.wake();
    await waitFor(() => centre.of(FN.timed, 52).length === 1, 'report 52 to reach the centre', WAIT_MS);

    await centre.kill();
    await waitFor(() => link.health().state === 'backoff', 'the link to back off', WAIT_MS);
    const down = link.health();
    expect(down.nextAttemptAt).toBeTypeOf('number');
    expect(down.nextAttemptAt ?? 0).toBeGreaterThan(Date.now() - 1_000);
    expect(down.connectedSince).toBeUndefined();
    const [r53, r54] = [outbox.add(53, FN.added), outbox.add(54)];
    expect(link.health()).toMatchObject({ queueLength: 3, oldestQueuedAt: r52.observedAt });

    // The centre comes back on the same port, confirming everything. A report queued meanwhile (wake()) does not cut
    // the backoff short: the link comes back when its health said it would, not before.
    const back = new FakeCentre();
    await back.listen(port);
    centres.push(back);
    const attempt = link.health();
    link.wake();
    const wokenAt = Date.now();
    await waitFor(() => back.connections === 1, 'the reconnect', WAIT_MS);
    if (attempt.state === 'backoff' && attempt.nextAttemptAt !== undefined && attempt.nextAttemptAt > wokenAt + 50) {
      expect(back.acceptedWall.get(1) ?? 0).toBeGreaterThanOrEqual(attempt.nextAttemptAt - 5);
    }
    await waitFor(() => outbox.queueLength() === 0, 'the queue to drain after the reconnect', WAIT_MS);

    expect(back.reports().map((r) => r.serial)).toEqual([52, 53, 54]);
    expectOneAtATime(back, [52, 53, 54]);
    expect([r50, r51, r52, r53, r54].map((r) => outbox.confirmedTimes(r.id))).toEqual([1, 1, 1, 1, 1]);
    expect(outbox.confirmedIds).toEqual([r50.id, r51.id, r52.id, r53.id, r54.id]);
    // Before the outage each report went once; after it, only the one in flight went again.
    expect(centre.reports().map((r) => r.serial)).toEqual([50, 51, 52]);
    const h = link.health();
    expect(h.state).toBe('connected');
    expect(h.nextAttemptAt).toBeUndefined();
    expect(h.counters.connects).toBe(2);
    expect(h.counters.reportsConfirmed).toBe(5);
  });

  it('keeps an idle link alive with 2F every keepAliveS; a stray confirmation of a keep-alive changes nothing', async () => {
    const centre = await newCentre();
    const outbox = new MemoryOutbox();
    const link = newLink(centre.port, outbox, { keepAliveS: 1 });
    await waitFor(() => centre.connections === 1, 'the connection', WAIT_MS);
    const connectedAt = performance.now();

    await waitFor(() => centre.of(FN.keepAlive).length >= 1, 'a first keep-alive', WAIT_MS);
    // Some centres confirm keep-alives: nothing to do for the link.
    const firstKeepAlive = centre.of(FN.keepAlive)[0];
    if (firstKeepAlive !== undefined) centre.confirm(firstKeepAlive);
    await waitFor(() => centre.of(FN.keepAlive).length >= 3, 'three keep-alives', WAIT_MS);

    const alive = centre.of(FN.keepAlive);
    expect(alive.every((k) => k.frame.end === 'ETX' && k.frame.station === STATION && k.frame.body.length === 8)).toBe(true);
    expect(alive[0]?.at ?? 0).toBeGreaterThan(connectedAt + 700);
    for (let i = 1; i < alive.length; i++) {
      expect((alive[i]?.at ?? 0) - (alive[i - 1]?.at ?? 0)).toBeGreaterThan(700);
      expect(alive[i]?.serial).toBe((alive[i - 1]?.serial ?? 0) + 1);
    }
    const c = link.health().counters;
    expect(c.keepAlives).toBeGreaterThanOrEqual(3);
    expect(c).toMatchObject({ reportsSent: 0, reportsConfirmed: 0, frameErrors: 0, connects: 1 });
    expect(centre.reports()).toEqual([]);
  });

  it('answers the centre\'s queries: 37 realtime, 38 a step series, 51 its clock, 4A within the skew taken, outside refused', async () => {
    const centre = await newCentre();
    const outbox = new MemoryOutbox();
    const { log, lines } = capturingLogger();
    const link = newLink(centre.port, outbox, {}, log);
    await waitFor(() => centre.connections === 1 && link.health().state === 'connected', 'the connection', WAIT_MS);

    centre.query(FN.queryRealtime, 101);
    await waitFor(() => centre.of(FN.queryRealtime, 101).length === 1, 'the answer to 37', WAIT_MS);
    const realtime = centre.of(FN.queryRealtime, 101)[0];
    expect(realtime?.frame).toMatchObject({ direction: 'up', end: 'ETX', station: STATION, centre: CENTRE, password: PASSWORD });
    const rt = decodeReport(realtime?.frame.body ?? new Uint8Array(), 'hex', WIRE);
    expect(rt).toMatchObject({ serial: 101, station: STATION, stationType: 0x48 });
    expect(Math.abs((rt.groups[0]?.observedAt ?? 0) - Date.now())).toBeLessThan(2 * MINUTE);
    expect(rt.groups[0]?.elements).toEqual([
      { kind: 'number', id: 0x39, definition: 0x23, value: LEVEL_M },
      { kind: 'number', id: 0x1a, definition: 0x19, value: RAIN.h1 },
    ]);

    const from = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const period = encodePeriodQuery({ serial: 102, sentAt: wireNow(), from, to: from + 2 * HOUR, stepMinutes: 60, id: 0x39, definition: 0x23 }, 'hex', WIRE);
    centre.write(centre.frame(FN.queryPeriod, period, 'ENQ'));
    await waitFor(() => centre.of(FN.queryPeriod, 102).length === 1, 'the answer to 38', WAIT_MS);
    const series = decodeReport(centre.of(FN.queryPeriod, 102)[0]?.frame.body ?? new Uint8Array(), 'hex', WIRE);
    expect(series.groups).toEqual([{ observedAt: from, elements: [{ kind: 'stepSeries', stepMinutes: 60, id: 0x39, definition: 0x23, values: [LEVEL_M, LEVEL_M, LEVEL_M] }] }]);

    centre.query(FN.queryClock, 103);
    await waitFor(() => centre.of(FN.queryClock, 103).length === 1, 'the answer to 51', WAIT_MS);
    const clock = decodeStationAddress(centre.of(FN.queryClock, 103)[0]?.frame.body ?? new Uint8Array(), 'hex', WIRE);
    expect(clock.station).toBe(STATION);
    expect(Math.abs(clock.sentAt - Date.now())).toBeLessThan(5_000);

    // 4A: the requested time is the head's send time.
    const setClock = (serial: number, to: number): void => centre.write(centre.frame(FN.setClock, encodeHead({ serial, sentAt: to }, 'hex', WIRE), 'ENQ'));
    setClock(104, wireNow() + 20_000);
    await waitFor(() => centre.of(FN.setClock, 104).length === 1, 'the answer to 4A within the skew', WAIT_MS);
    expect(link.health().counters.clockSetsRefused).toBe(0);
    expect(lines.find((l) => l.event === 'sl651.clock_set')).toMatchObject({ level: 'info', centre: 'county' });

    setClock(105, wireNow() + 2 * HOUR);
    await waitFor(() => centre.of(FN.setClock, 105).length === 1, 'the answer to 4A outside the skew', WAIT_MS);
    const refusedAnswer = decodeStationAddress(centre.of(FN.setClock, 105)[0]?.frame.body ?? new Uint8Array(), 'hex', WIRE);
    // The answer carries the station's clock as it is: unchanged.
    expect(Math.abs(refusedAnswer.sentAt - Date.now())).toBeLessThan(5_000);
    expect(link.health().counters.clockSetsRefused).toBe(1);
    const refused = lines.find((l) => l.event === 'sl651.clock_set_refused');
    expect(refused).toMatchObject({ level: 'warn', centre: 'county' });
    expect(String(refused?.reason)).toMatch(/more than clockSetMaxSkewS \(300 s\)/);

    expect(link.health().counters).toMatchObject({ queriesAnswered: 5, frameErrors: 0 });
    expect(lines.filter((l) => l.event === 'sl651.query_answered').map((l) => l.serial)).toEqual([101, 102, 103, 104, 105]);
  });

  it('counts frames with the wrong password, for another station, garbage and a broken CRC; answers none of them and keeps working', async () => {
    const centre = await newCentre();
    const outbox = new MemoryOutbox();
    const { log, lines } = capturingLogger();
    const link = newLink(centre.port, outbox, {}, log);
    await waitFor(() => centre.connections === 1 && link.health().state === 'connected', 'the connection', WAIT_MS);
    const frameErrors = (): number => link.health().counters.frameErrors;

    centre.query(FN.queryRealtime, 201, { password: 0x9999 });
    await waitFor(() => frameErrors() === 1, 'the wrong password to be counted', WAIT_MS);
    centre.query(FN.queryRealtime, 202, { station: '0099999999' });
    await waitFor(() => frameErrors() === 2, 'the other station to be counted', WAIT_MS);
    centre.query(FN.queryClock, 203, { centre: CENTRE + 1 });
    await waitFor(() => frameErrors() === 3, 'the other centre to be counted', WAIT_MS);
    // Garbage is reported when the next frame starts: here a good query, which is answered.
    centre.write(Buffer.from('garbage, not a frame at all!', 'latin1'));
    centre.query(FN.queryClock, 204);
    await waitFor(() => centre.of(FN.queryClock, 204).length === 1, 'the query after the garbage to be answered', WAIT_MS);
    expect(frameErrors()).toBe(4);
    // A frame whose CRC is broken, then a good one.
    const broken = centre.frame(FN.queryRealtime, encodeHead({ serial: 205, sentAt: wireNow() }, 'hex', WIRE), 'ENQ');
    broken[broken.length - 1] = (broken[broken.length - 1] ?? 0) ^ 0xff;
    centre.write(broken);
    centre.query(FN.queryRealtime, 206);
    await waitFor(() => centre.of(FN.queryRealtime, 206).length === 1, 'the query after the broken CRC to be answered', WAIT_MS);
    expect(frameErrors()).toBe(5);
    // And an uplink frame coming back from the centre.
    centre.write(encodeFrame({ encoding: 'hex', direction: 'up', centre: CENTRE, station: STATION, password: PASSWORD, fn: FN.queryRealtime, body: encodeHead({ serial: 207, sentAt: wireNow() }, 'hex', WIRE), end: 'ENQ' }));
    await waitFor(() => frameErrors() === 6, 'the uplink frame to be counted', WAIT_MS);

    // Only the good queries were answered.
    expect(centre.received.map((r) => [r.frame.fn, r.serial])).toEqual([
      [FN.queryClock, 204],
      [FN.queryRealtime, 206],
    ]);
    expect(lines.filter((l) => l.event === 'sl651.frame_error').map((l) => l.code)).toEqual(['password', 'address', 'address', 'start', 'crc', 'body']);

    // The link goes on: a report is sent and confirmed on the same connection.
    const r = outbox.add(60);
    link.wake();
    await waitFor(() => outbox.confirmedTimes(r.id) === 1, 'a report after the bad frames to be confirmed', WAIT_MS);
    expect(link.health().counters).toMatchObject({ connects: 1, queriesAnswered: 2, reportsConfirmed: 1 });
    expect(centre.readErrors).toEqual([]);
  });

  it('stops at once while connecting, while waiting for a confirmation and while backing off', async () => {
    const outbox = new MemoryOutbox();
    outbox.add(70);

    // Waiting for a confirmation that never comes.
    const centre = await newCentre();
    centre.onReport = () => undefined;
    const waiting = newLink(centre.port, outbox);
    await waitFor(() => centre.of(FN.timed, 70).length === 1, 'report 70 to be sent', WAIT_MS);
    let t = performance.now();
    await waiting.stop();
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(waiting.health().state).toBe('stopped');
    await waitFor(() => centre.closedConns.has(1), 'the connection to close', WAIT_MS);

    // Backing off: nobody listens on the port.
    const port = centre.port;
    await centre.kill();
    const backingOff = newLink(port, outbox, { maxBackoffMs: 60_000 });
    await waitFor(() => backingOff.health().state === 'backoff', 'the backoff', WAIT_MS);
    t = performance.now();
    await backingOff.stop();
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(backingOff.health()).toMatchObject({ state: 'stopped' });
    expect(backingOff.health().nextAttemptAt).toBeUndefined();

    // Connecting: stopped before the connect (to a centre that listens) has completed. The link neither counts a
    // connection nor says it is connected.
    const again = new FakeCentre();
    await again.listen(port);
    centres.push(again);
    const connecting = newLink(port, outbox);
    expect(connecting.health().state).toBe('connecting');
    await connecting.stop();
    expect(connecting.health().state).toBe('stopped');
    expect(connecting.health().counters.connects).toBe(0);
    expect(outbox.queueLength()).toBe(1);
  });
});
