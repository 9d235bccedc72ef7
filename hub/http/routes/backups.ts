import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { readManifest } from '../../../node-daemon/backup/manifest.js';
import type { Clock } from '../../../node-daemon/core/types.js';
import {
  BACKUP_CHUNK_LIMIT,
  BACKUP_MANIFEST_LIMIT,
  BACKUP_NAME_PATTERN,
  backupChunkAnswerSchema,
  backupOpenAnswerSchema,
  BACKUPS_SYNC_PATH,
} from '../../../node-daemon/sync/protocol/backup-wire.js';
import type { HubBackupIndex } from '../../backups/backup-index.js';
import type { HubBackupReceiver, Refusal } from '../../backups/receiver.js';
import { tarFolder } from '../../backups/tar-stream.js';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { BOXES_PATH, type HubEnv } from '../deps.js';
import type { NonceStore } from '../nonce-store.js';
import { hubErrorResponse, hubJsonResponse, hubPathParameter, type HubPathsDoc } from '../openapi/registry.js';
import { readBody } from '../read-body.js';
import { errorBody, type RefusalSink } from '../refusals.js';
import { verifyBox } from '../verify-box.js';
import { boxIdOf } from './box-detail.js';

export interface BackupsRouteDeps extends RefusalSink {
  readonly receiver: HubBackupReceiver;
  readonly index: HubBackupIndex;
  readonly store: HubStore;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly access: HubAccess;
  readonly requestUrl: (c: Context) => string;
}

function refusal(c: Context<HubEnv>, r: Refusal, hubTime: number): Response {
  return c.json({ ...errorBody(r.code, r.message, r.param), ...(r.received === undefined ? {} : { received: r.received }), hubTime }, r.status);
}

/**
 * The boxes' backups at the hub (docs/sync.md "Backups to the hub"):
 * - `PUT /api/v1/sync/backups/{name}` (a box, signed): the manifest opens or re-opens the upload; the answer says
 *   how much of each file the hub holds.
 * - `PUT /api/v1/sync/backups/{name}/file?path=P&offset=N` (a box, signed): the next bytes of a file.
 * - `GET /api/v1/boxes/{id}/backups` (viewer): the complete backups held, newest first, and the upload in progress.
 * - `GET /api/v1/boxes/{id}/backups/{name}/archive` (admin: a backup holds the box's whole database): the backup
 *   folder as a tar stream, to unpack and `fenghuo restore`.
 */
export function backupsRoutes(deps: BackupsRouteDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const box = verifyBox(deps);

  app.put(`${BACKUPS_SYNC_PATH}/:name`, readBody(BACKUP_MANIFEST_LIMIT, deps), box, async (c) => {
    const name = c.req.param('name');
    const out = await deps.receiver.open(c.get('box').id, name, c.get('body'));
    if (!out.ok) return refusal(c, out, deps.clock());
    return c.json({ ...out.answer, hubTime: deps.clock() }, 200);
  });

  app.put(`${BACKUPS_SYNC_PATH}/:name/file`, readBody(BACKUP_CHUNK_LIMIT, deps), box, async (c) => {
    const path = c.req.query('path');
    const offsetText = c.req.query('offset') ?? '';
    if (path === undefined || path === '') return c.json(errorBody('bad_request', 'give the file: ?path=…', 'path'), 400);
    if (!/^\d{1,15}$/.test(offsetText)) return c.json(errorBody('bad_request', 'offset must be a whole number', 'offset'), 400);
    const out = await deps.receiver.append(c.get('box').id, c.req.param('name'), path, Number(offsetText), c.get('body'));
    if (!out.ok) return refusal(c, out, deps.clock());
    return c.json({ received: out.received, complete: out.complete, hubTime: deps.clock() }, 200);
  });

  app.get(`${BOXES_PATH}/:id/backups`, deps.access.require('viewer'), async (c) => {
    const id = boxIdOf(c.req.param('id'));
    if (id === undefined) return c.json(errorBody('bad_request', 'id must be a box id: lowercase letters, digits and -', 'id'), 400);
    if ((await deps.store.getBox(id)) === undefined) return c.json(errorBody('not_found', `no box ${id} at this hub`, 'id'), 404);
    const receiving = await deps.receiver.receiving(id);
    return c.json({ box: id, keep: deps.receiver.keep, backups: await deps.index.list(id), ...(receiving === undefined ? {} : { receiving }) }, 200);
  });

  app.get(`${BOXES_PATH}/:id/backups/:name/archive`, deps.access.require('admin'), async (c) => {
    const id = boxIdOf(c.req.param('id'));
    const name = c.req.param('name');
    if (id === undefined) return c.json(errorBody('bad_request', 'id must be a box id: lowercase letters, digits and -', 'id'), 400);
    if (!BACKUP_NAME_PATTERN.test(name)) return c.json(errorBody('bad_request', 'not a backup name (fenghuo-backup-YYYYMMDD-HHMMSSZ)', 'name'), 400);
    const dir = (await deps.index.get(id, name)) === undefined ? undefined : await deps.receiver.completeDir(id, name);
    if (dir === undefined) return c.json(errorBody('not_found', `the hub holds no backup ${name} of ${id}`), 404);
    const manifest = readManifest(dir);
    const files = ['manifest.json', ...manifest.files.map((f) => f.path)];
    deps.log.info({ event: 'hub.backup.download', box: id, backup: name, by: c.get('actor').name }, `backup ${name} of ${id} downloaded by ${c.get('actor').name}`);
    const stream = Readable.toWeb(Readable.from(tarFolder(dir, name, files))) as ReadableStream<Uint8Array>;
    return c.body(stream, 200, { 'Content-Type': 'application/x-tar', 'Content-Disposition': `attachment; filename="${id}-${name}.tar"` });
  });

  return app;
}

const heldBackupSchema = z.strictObject({
  name: z.string().describe('the backup folder\'s name, fenghuo-backup-YYYYMMDD-HHMMSSZ (the box\'s UTC time of making)'),
  createdAt: z.int().describe('UTC ms, box clock: when the box made it'),
  receivedAt: z.int().describe('UTC ms, hub clock: when its last file arrived and verified'),
  bytes: z.int(),
  files: z.int(),
  dbId: z.string().nullable(),
  identity: z.enum(['encrypted', 'omitted-no-passphrase', 'none']).describe('the box\'s identity keys in it: encrypted with the box\'s backup passphrase, left out, or none (never in clear)'),
  fenghuoVersion: z.string(),
  schemaVersion: z.int(),
});

const boxBackupsSchema = z.strictObject({
  box: z.string(),
  keep: z.int().describe('hub config backups.keep: complete backups kept per box'),
  backups: z.array(heldBackupSchema).describe('newest first'),
  receiving: z.strictObject({ name: z.string(), receivedBytes: z.int(), totalBytes: z.int() }).optional().describe('the upload in progress'),
});

export const backupsPaths: HubPathsDoc = {
  [`${BACKUPS_SYNC_PATH}/{name}`]: {
    put: {
      access: 'box',
      operationId: 'openBackupUpload',
      summary: 'A box opens (or re-opens) the upload of a backup with its manifest (docs/sync.md "Backups to the hub")',
      parameters: [hubPathParameter('name', 'the backup folder\'s name')],
      responses: {
        '200': hubJsonResponse('how much of each file the hub holds', backupOpenAnswerSchema),
        '400': hubErrorResponse('not a backup manifest or name, or identity_in_clear'),
        '401': hubErrorResponse('a missing or bad signature'),
        '403': hubErrorResponse('an unknown or revoked box'),
        '413': hubErrorResponse('the backup is larger than backups.maxBytes'),
      },
    },
  },
  [`${BACKUPS_SYNC_PATH}/{name}/file`]: {
    put: {
      access: 'box',
      operationId: 'putBackupChunk',
      summary: 'A box sends the next bytes of one file of a backup (?path=P&offset=N, octet-stream)',
      parameters: [hubPathParameter('name', 'the backup folder\'s name')],
      responses: {
        '200': hubJsonResponse('the hub\'s count of the file\'s bytes, and whether the backup is complete', backupChunkAnswerSchema),
        '400': hubErrorResponse('a bad path or offset, bytes past the file\'s end, or digest_mismatch'),
        '404': hubErrorResponse('no_upload: open the upload again'),
        '409': hubJsonResponse('offset_mismatch: `received` is the hub\'s count; go on from there', backupChunkAnswerSchema),
        '422': hubJsonResponse('sha256_mismatch: the file was dropped; send it again from 0', backupChunkAnswerSchema),
      },
    },
  },
  [`${BOXES_PATH}/{id}/backups`]: {
    get: {
      access: 'viewer',
      operationId: 'listBoxBackups',
      summary: 'The box\'s backups the hub holds, newest first, and the upload in progress',
      parameters: [hubPathParameter('id', 'the box id')],
      responses: {
        '200': hubJsonResponse('the backups', boxBackupsSchema),
        '404': hubErrorResponse('no such box'),
      },
    },
  },
  [`${BOXES_PATH}/{id}/backups/{name}/archive`]: {
    get: {
      access: 'admin',
      operationId: 'downloadBoxBackup',
      summary: 'A backup as a tar of its folder: `tar -xf` it, then `fenghuo restore <name>` on the new card',
      parameters: [hubPathParameter('id', 'the box id'), hubPathParameter('name', 'the backup folder\'s name')],
      responses: {
        '200': { description: 'application/x-tar: <name>/manifest.json, <name>/fenghuo.db, <name>/config/…, <name>/sync/*.enc' },
        '404': hubErrorResponse('no such backup'),
      },
    },
  },
};
