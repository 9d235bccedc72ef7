/**
 * Goodput of the county link: a week's backlog of the demo site (bench/support/demo-week.ts: its three gauges polled
 * every 5 s, the box's default, written by the box's own writer) pushed by a real box process (`fenghuo run`) to a
 * real hub process (`fenghuo hub`, SQLite) over a veth pair shaped with tbf (bench/support/netns-link.ts, default
 * 256 kbit/s each way), both in their own network namespaces, the box enrolled through the real CLI.
 *
 * Ours: the bytes of the requests the hub acknowledged (`requestBytes` of every `sync.push.ok`: the HTTP request as the
 * box wrote it, head and compressed body), over the time from the first request's start to the last one's answer.
 * Peer: the configured rate, in the same bytes per second. Beside it in the note, what the veth carried box→hub in
 * the same run (frames with their Ethernet, IP and TCP headers, which tbf counts against the rate), and how the week
 * went (requests, aggregates first, raw later).
 *
 * Needs root (network namespaces); otherwise it prints what it skipped and why and gives no figure.
 * FENGHUO_BENCH_GOODPUT_KBIT sets the rate, FENGHUO_BENCH_GOODPUT_POLL_S the poll interval of the week (default 5).
 * Standalone: `node dist/bench/sync-goodput.js` prints the figures as JSON.
 */
import { pathToFileURL } from 'node:url';
import type { BenchResult } from './result.js';
import { writeDemoWeek } from './support/demo-week.js';
import { waitFor } from './support/fenghuo-process.js';
import { createNetnsLink, netnsAvailable, type LinkCounters } from './support/netns-link.js';
import { backlogEmpty, describeBytes, startEnrolledPair, syncView, type NsPair } from './support/ns-sync.js';

const BOX_ID = 'llano-bench-01';

export interface SyncGoodputFigures {
  readonly rateKbit: number;
  readonly readings: number;
  readonly batches: number;
  readonly pushes: number;
  readonly failedPushes: number;
  readonly aggregatesFolded: number;
  readonly seconds: number;
  /** Bytes of acknowledged requests per second. */
  readonly goodputBps: number;
  /** Box→hub bytes on the veth per second over the same run. */
  readonly vethBps: number;
  readonly rateBps: number;
  readonly veth: LinkCounters;
  readonly writeSeconds: number;
}

const diff = (a: LinkCounters, b: LinkCounters): LinkCounters => ({
  box: { tx: b.box.tx - a.box.tx, rx: b.box.rx - a.box.rx },
  hub: { tx: b.hub.tx - a.hub.tx, rx: b.hub.rx - a.hub.rx },
});

/** Undefined (with the reason printed) when namespaces cannot be had here. */
export async function measureSyncGoodput(): Promise<SyncGoodputFigures | undefined> {
  const avail = await netnsAvailable();
  if (!avail.ok) {
    console.log(`sync-goodput: SKIPPED (a real box and hub over a tbf-shaped veth need network namespaces): ${avail.reason}`);
    return undefined;
  }
  const rateKbit = Number(process.env.FENGHUO_BENCH_GOODPUT_KBIT) || 256;
  const pollMs = (Number(process.env.FENGHUO_BENCH_GOODPUT_POLL_S) || 5) * 1000;
  const writeStart = performance.now();
  // The week ends a minute ago: the box's retention and "older than a day" rules see it as a real outage's backlog.
  const week = await writeDemoWeek({ endsAt: Date.now() - 60_000, pollMs });
  const writeSeconds = (performance.now() - writeStart) / 1000;
  const link = await createNetnsLink({ rateKbit });
  let pair: NsPair | undefined;
  try {
    pair = await startEnrolledPair(link, week.dataDir, BOX_ID, 'fenghuo-bench-goodput-');
    const { box, token, before } = pair;
    const running = box;
    await waitFor(
      async () => {
        const s = await syncView(link, token);
        return s.state === 'up' && backlogEmpty(s) && running.events('sync.push.ok').length > 0;
      },
      30 * 60_000,
      () => `the backlog drained: ${running.diagnostics()}`,
      500,
    );
    const veth = diff(before, await link.bytes());
    const ok = box.events('sync.push.ok');
    const first = ok[0]!;
    const last = ok.at(-1)!;
    const startMs = Date.parse(String(first['time'])) - Number(first['ms']);
    const seconds = (Date.parse(String(last['time'])) - startMs) / 1000;
    const acked = ok.reduce((n, l) => n + Number(l['requestBytes']), 0);
    return {
      rateKbit,
      readings: week.readings,
      batches: week.batches,
      pushes: ok.length,
      failedPushes: box.events('sync.push.failed').length,
      aggregatesFolded: ok.reduce((n, l) => n + Number(l['folded'] ?? 0), 0),
      seconds: Math.round(seconds * 10) / 10,
      goodputBps: Math.round(acked / seconds),
      vethBps: Math.round(veth.box.tx / seconds),
      rateBps: (rateKbit * 1000) / 8,
      veth,
      writeSeconds: Math.round(writeSeconds * 10) / 10,
    };
  } finally {
    await pair?.close();
    await link.close();
    week.cleanup();
  }
}

export async function benchSyncGoodput(): Promise<BenchResult[]> {
  const f = await measureSyncGoodput();
  if (f === undefined) return [];
  const ratio = Math.round((f.goodputBps / f.rateBps) * 100) / 100;
  return [
    {
      name: `sync-goodput: a week of the demo site (${f.readings} readings in ${f.batches} batches) from a box process to a hub process over a ${f.rateKbit} kbit/s tbf veth: acknowledged request bytes/s vs the link's rate`,
      ours: f.goodputBps,
      peer: f.rateBps,
      ratio,
      unit: 'bytes/s',
      aim: '>= 0.8',
      note:
        `${f.pushes} requests in ${f.seconds} s (${f.failedPushes} failed), ${f.aggregatesFolded} batches sent first as 15-minute aggregates; ` +
        `veth box→hub ${f.vethBps} B/s = ${(f.vethBps / f.rateBps).toFixed(2)} of the rate (tbf counts Ethernet, IP and TCP headers too); ${describeBytes(f.veth)}; ` +
        `the week written in ${f.writeSeconds} s beforehand`,
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureSyncGoodput().then(
    (r) => console.log(JSON.stringify(r ?? null, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
