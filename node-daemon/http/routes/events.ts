import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { merge, map, type Observable, type Subscription } from 'rxjs';
import type { EventHub } from '../../core/events.js';
import type { PathsDoc } from '../openapi-doc.js';

/** How often an idle stream sends a comment, so proxies and old tablets do not drop it. */
const HEARTBEAT_MS = 15_000;
/** What EventSource waits before reconnecting after the box restarts or the Wi-Fi drops. */
const RETRY_MS = 3_000;
/** A client that cannot keep up loses its stream rather than growing the daemon's memory. */
const MAX_BACKLOG = 1_000;

export interface LiveEvent {
  readonly event: string;
  readonly data: unknown;
}

/** The hub's streams as named live events; extend with new streams as modules add them. */
export function liveEvents(hub: EventHub): Observable<LiveEvent> {
  return merge(
    hub.reading$.pipe(map((r) => ({ event: 'reading', data: { sensorId: r.sensorId, ts: r.ts, value: r.value, quality: r.quality } }))),
    hub.busStatus$.pipe(map((e) => ({ event: 'bus', data: e }))),
    hub.breaker$.pipe(map((e) => ({ event: 'breaker', data: e }))),
    hub.alarm$.pipe(map((e) => ({ event: 'alarm', data: e }))),
    hub.output$.pipe(map((e) => ({ event: 'output', data: e }))),
  );
}

/** `GET /api/v1/events`: Server-Sent Events for the UI. Each event's data is one JSON object. */
export function eventsRoutes(events: Observable<LiveEvent>): Hono {
  return new Hono().get('/events', (c) =>
    streamSSE(c, async (stream: SSEStreamingApi) => {
      const backlog: LiveEvent[] = [];
      let wake: (() => void) | undefined;
      let overflow = false;
      const sub: Subscription = events.subscribe((e) => {
        if (backlog.length >= MAX_BACKLOG) overflow = true;
        else backlog.push(e);
        wake?.();
      });
      stream.onAbort(() => {
        sub.unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ ts: Date.now() }), retry: RETRY_MS });
      let seq = 0;
      while (!stream.aborted && !overflow) {
        const e = backlog.shift();
        if (e) {
          await stream.writeSSE({ event: e.event, data: JSON.stringify(e.data), id: String(++seq) });
          continue;
        }
        const timer = new Promise<'beat'>((resolve) => {
          const t = setTimeout(() => resolve('beat'), HEARTBEAT_MS);
          wake = () => {
            clearTimeout(t);
            resolve('beat');
          };
        });
        if ((await timer) === 'beat' && backlog.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
        wake = undefined;
      }
      sub.unsubscribe();
    }),
  );
}

export const eventsPaths: PathsDoc = {
  '/events': {
    get: {
      operationId: 'streamEvents',
      summary: 'Live events (Server-Sent Events)',
      description:
        'A text/event-stream of `reading`, `bus`, `breaker`, `alarm` (an alarm with its newest transition) and `output` (a relay, speaker or LED board changed) events, each with one JSON object as data. Sends `hello` first with a retry hint, and a comment every 15 s when idle. A client that falls 1000 events behind is disconnected and should reconnect (EventSource does so by itself).',
      responses: { '200': { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
    },
  },
};
