import { Hono, type Context } from 'hono';
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
/** How often an open stream checks that the sign-in it was opened with still holds. */
export const SIGN_IN_CHECK_MS = 2_000;

export interface EventsRouteOptions {
  /**
   * For the request opening a stream: a check that its sign-in still holds (false once the session is logged out,
   * ended by a password change, its user deleted, or expired), or undefined when there is nothing that can end (a
   * configured bearer token, no auth). The stream ends within `signInCheckMs` of the check turning false.
   */
  readonly signedIn?: (c: Context) => (() => boolean) | undefined;
  /** Default SIGN_IN_CHECK_MS. */
  readonly signInCheckMs?: number;
}

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

/**
 * `GET /api/v1/events`: Server-Sent Events for the UI. Each event's data is one JSON object. A stream opened with a
 * session ends soon after that session does (see `EventsRouteOptions.signedIn`); EventSource then reconnects and is
 * refused (401), and the UI goes back to its login page.
 */
export function eventsRoutes(events: Observable<LiveEvent>, opts: EventsRouteOptions = {}): Hono {
  const checkEveryMs = opts.signInCheckMs ?? SIGN_IN_CHECK_MS;
  return new Hono().get('/events', (c) => {
    const stillSignedIn = opts.signedIn?.(c);
    return streamSSE(c, async (stream: SSEStreamingApi) => {
      const backlog: LiveEvent[] = [];
      let wake: (() => void) | undefined;
      let overflow = false;
      let signedOut = false;
      const sub: Subscription = events.subscribe((e) => {
        if (backlog.length >= MAX_BACKLOG) overflow = true;
        else backlog.push(e);
        wake?.();
      });
      const check =
        stillSignedIn === undefined
          ? undefined
          : setInterval(() => {
              let live = false;
              try {
                live = stillSignedIn();
              } catch {
                // The session store cannot say (the database is closing): end the stream; a reconnect asks afresh.
              }
              if (live) return;
              signedOut = true;
              wake?.();
            }, checkEveryMs);
      const cleanup = (): void => {
        sub.unsubscribe();
        if (check !== undefined) clearInterval(check);
      };
      stream.onAbort(() => {
        cleanup();
        wake?.();
      });
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ ts: Date.now() }), retry: RETRY_MS });
      let seq = 0;
      while (!stream.aborted && !overflow && !signedOut) {
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
        if ((await timer) === 'beat' && backlog.length === 0 && !stream.aborted && !signedOut) await stream.write(': keep-alive\n\n');
        wake = undefined;
      }
      cleanup();
    });
  });
}

export const eventsPaths: PathsDoc = {
  '/events': {
    get: {
      operationId: 'streamEvents',
      summary: 'Live events (Server-Sent Events)',
      description:
        'A text/event-stream of `reading`, `bus`, `breaker`, `alarm` (an alarm with its newest transition) and `output` (a relay, speaker or LED board changed) events, each with one JSON object as data. Sends `hello` first with a retry hint, and a comment every 15 s when idle. A client that falls 1000 events behind is disconnected and should reconnect (EventSource does so by itself). A stream opened with a session cookie ends within a few seconds of that session ending (logout, password change, account deleted, expiry); reconnecting then answers 401.',
      responses: { '200': { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
    },
  },
};
