import { Hono, type Context } from 'hono';
import type { Clock } from '../../../node-daemon/core/types.js';
import type { HubStore } from '../../store/types.js';
import { decompressBody } from '../decompress.js';
import { INGEST_PATH, type HubEnv, type HubLimits } from '../deps.js';
import { checkIngestBody } from '../ingest-schema.js';
import type { NonceStore } from '../nonce-store.js';
import { readBody } from '../read-body.js';
import { clientAddress, refuse, type RefusalSink } from '../refusals.js';
import { verifyBox } from '../verify-box.js';

export interface IngestDeps extends RefusalSink {
  readonly store: HubStore;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly limits: HubLimits;
  readonly requestUrl: (c: Context) => string;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `POST /api/v1/sync/ingest` (docs/sync.md, "Push"), one small step after another: the body as sent, at most
 * `maxBodyBytes` (413) → the box's signature over it, fresh and not replayed (401 with the refusal code; 403 for an
 * unknown or revoked box) → the body decompressed (br or gzip, at most `maxDecompressedBytes`: 413; 415 another
 * encoding; 400 a broken stream) → JSON checked (400 with the key path) → its `box` is the signer (403
 * `box_mismatch`) → stored: 200 `{acked, hubTime}`, or 409 `{acked, conflicts, hubTime}` when a lane's `after` is above
 * the hub's mark (`conflicts`: those lanes, in priority order; the others were stored). Every answer is signed by `signResponses` around it.
 */
export function ingestRoutes(deps: IngestDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();

  app.post(
    INGEST_PATH,
    readBody(deps.limits.maxBodyBytes, deps),
    verifyBox(deps),
    async (c, next) => {
      const box = c.get('box').id;
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') {
        return refuse(c, deps, { status: 415, code: 'unsupported_media_type', detail: `Content-Type ${JSON.stringify(type)}`, keyid: box, box, message: 'the body must be application/json' });
      }
      const out = await decompressBody(c.get('body'), c.req.header('content-encoding'), deps.limits.maxDecompressedBytes);
      if (!out.ok) {
        const status = out.reason === 'too_large' ? 413 : out.reason === 'unsupported_encoding' ? 415 : 400;
        const code = out.reason === 'too_large' ? 'payload_too_large' : out.reason;
        const message =
          out.reason === 'too_large'
            ? `the body must decompress to at most ${deps.limits.maxDecompressedBytes} bytes`
            : out.reason === 'unsupported_encoding'
              ? 'Content-Encoding must be br or gzip (or none)'
              : 'the body does not decompress';
        return refuse(c, deps, { status, code, detail: out.detail, keyid: box, box, message });
      }
      let text: string;
      try {
        text = UTF8.decode(out.bytes);
      } catch {
        return refuse(c, deps, { status: 400, code: 'bad_request', detail: 'body is not UTF-8', keyid: box, box, message: 'the body is not UTF-8 JSON' });
      }
      c.set('text', text);
      await next();
    },
    async (c) => {
      const box = c.get('box').id;
      const checked = checkIngestBody(c.get('text'));
      if (!checked.ok) {
        return refuse(c, deps, {
          status: 400,
          code: 'bad_request',
          detail: checked.message.slice(0, 300),
          keyid: box,
          box,
          message: checked.message,
          ...(checked.param === undefined ? {} : { param: checked.param }),
        });
      }
      const { body, lanes } = checked;
      if (body.box !== box) {
        return refuse(c, deps, {
          status: 403,
          code: 'box_mismatch',
          detail: `signed by ${box}, body claims ${body.box}`,
          keyid: box,
          box,
          message: 'the body\'s box must be the box that signs the request',
        });
      }
      const now = deps.clock();
      await deps.store.recordContact(box, now, {
        address: clientAddress(c) ?? null,
        ...(body.dbId === undefined ? {} : { dbId: body.dbId }),
        ...(body.batch === undefined ? {} : { batch: body.batch }),
        bytes: c.get('body').byteLength,
        encoding: c.req.header('content-encoding') ?? 'identity',
        userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
      });
      const result = await deps.store.ingest(box, lanes, body.dbId);
      const records = lanes.reduce((n, l) => n + l.records.length, 0);
      if ((result.status === 'stored' || result.status === 'conflict') && result.newDatabase !== undefined) {
        // Counted by the store (GET /api/v1/boxes: databaseChanges) and here, per process, like a refusal is.
        deps.refusals.count('new_database', box);
        deps.log.warn(
          { event: 'hub.box.new_database', box, from: result.newDatabase.from, to: result.dbId, batch: body.batch },
          `box ${box} came back with a new database (${result.dbId}); a new series starts at seq 1`,
        );
      }
      switch (result.status) {
        case 'stored':
          deps.log.info(
            { event: 'hub.ingest', box, batch: body.batch, records, stored: result.stored, duplicates: result.duplicates, acked: result.acked },
            `ingest from ${box}: ${result.stored} stored, ${result.duplicates} already held`,
          );
          return c.json({ acked: result.acked, hubTime: deps.clock() }, 200);
        case 'conflict':
          deps.log.warn(
            { event: 'hub.ingest_conflict', box, batch: body.batch, conflicts: result.conflicts, stored: result.stored, acked: result.acked },
            `ingest from ${box}: lanes ${result.conflicts.join(', ')} are ahead of the hub's marks; the box rewinds them`,
          );
          return c.json({ acked: result.acked, conflicts: result.conflicts, hubTime: deps.clock() }, 409);
        case 'stale_database':
          // Not `{acked}`: the box must not rewind its lanes to the marks of another database's series.
          return refuse(c, deps, {
            status: 409,
            code: 'stale_database',
            detail: `dbId ${result.dbId} was replaced by ${result.current}`,
            keyid: box,
            box,
            message: `database ${result.dbId} of this box was replaced by a newer one at the hub; its records are refused`,
          });
        case 'unknown_box':
          return refuse(c, deps, { status: 403, code: 'unknown_key', detail: `box ${box} vanished before its ingest`, keyid: box });
        case 'revoked':
          return refuse(c, deps, { status: 403, code: 'revoked', detail: `box ${box} was revoked during its ingest`, keyid: box, box });
      }
    },
  );
  return app;
}
