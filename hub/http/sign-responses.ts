import type { Context, MiddlewareHandler } from 'hono';
import type { Clock } from '../../node-daemon/core/types.js';
import { signResponse, type SigningKey } from '../../node-daemon/sync/protocol/index.js';

/**
 * Signs every response under it with the county key (docs/sync-signatures.md, "The signature"): its status, body
 * digest, Content-Type, and the request it answers (`;req` components and, when the request was signed, its
 * `Signature-Input`), so a response verifies only against the very request it answers. Refusals are signed too:
 * a box with a wrong clock learns the hub's time from a signed refusal. Runs after everything inside it (the routes,
 * not-found and error answers), so exactly what is sent is signed; headers added outside it are not covered.
 */
export function signResponses(opts: { readonly key: SigningKey; readonly clock: Clock; readonly requestUrl: (c: Context) => string }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const res = c.res;
    const body = new Uint8Array(await res.arrayBuffer());
    const headers = new Headers(res.headers);
    const signed = signResponse(
      { status: res.status, headers, body },
      { method: c.req.method, url: opts.requestUrl(c), headers: c.req.raw.headers },
      { key: opts.key, now: opts.clock },
    );
    for (const [name, value] of Object.entries(signed.headers)) headers.set(name, value);
    // Replace, not merge: Hono copies the old response's fields over a new one set on top of it.
    c.res = undefined;
    c.res = new Response(body.byteLength === 0 ? null : body, { status: res.status, headers });
  };
}
