import { z } from 'zod';
import { enrolRequestSchema, enrolResponseSchema } from '../../../node-daemon/sync/enrol/wire.js';
import { ingestBodySchema } from '../ingest-schema.js';
import { BOXES_PATH, ENROL_PATH, INGEST_PATH } from '../deps.js';
import { hubErrorResponse, hubJsonRequestBody, hubJsonResponse, type HubPathsDoc } from './registry.js';

/**
 * The documentation of the routes that came before the registry (ingest, enroll, boxes: hub/http/routes/), kept here
 * so those route files need not change; docs/sync.md is the full protocol.
 */

const marks = z.strictObject({ alarm: z.int(), health: z.int(), readings: z.int(), bulk: z.int() }).describe('the hub\'s mark per lane: the highest seq stored');

export const corePaths: HubPathsDoc = {
  [INGEST_PATH]: {
    post: {
      access: 'box',
      operationId: 'ingest',
      summary: 'A box pushes records (docs/sync.md "Push")',
      description:
        'Per lane, the box\'s acknowledged cursor (`after`) and the records after it, stored idempotently on (box, dbId, seq, kind). ' +
        'The body may be compressed (Content-Encoding br or gzip).',
      requestBody: hubJsonRequestBody(ingestBodySchema),
      responses: {
        '200': hubJsonResponse('stored; the marks after the commit', z.strictObject({ acked: marks, hubTime: z.int() })),
        '400': hubErrorResponse('a malformed body; `error.param` names the field'),
        '401': hubErrorResponse('a missing or bad signature'),
        '403': hubErrorResponse('an unknown or revoked box'),
        '409': hubErrorResponse('a lane\'s `after` above the hub\'s mark (the answer has `acked` and `conflicts`), or stale_database'),
        '413': hubErrorResponse('the body is over the hub\'s limits'),
        '415': hubErrorResponse('not JSON, or an encoding the hub does not take'),
      },
    },
  },
  [ENROL_PATH]: {
    post: {
      access: 'public',
      operationId: 'enroll',
      summary: 'A box enrols with a one-time code (docs/sync.md "Enrolment")',
      requestBody: hubJsonRequestBody(enrolRequestSchema),
      responses: {
        '200': hubJsonResponse('enrolled: the county\'s public key', enrolResponseSchema),
        '400': hubErrorResponse('a malformed body'),
        '401': hubErrorResponse('unknown_code, code_expired, code_used or code_box_mismatch'),
        '409': hubErrorResponse('box_exists: the id is taken'),
        '429': hubErrorResponse('too many failed codes from this address'),
      },
    },
  },
  [BOXES_PATH]: {
    get: {
      access: 'viewer',
      operationId: 'listBoxes',
      summary: 'Every box with its marks, latest health, backlog and last contact, and the refusal counters',
      responses: {
        '200': hubJsonResponse(
          'the boxes',
          z.object({ boxes: z.array(z.object({ id: z.string() }).loose()), refused: z.object({ byReason: z.record(z.string(), z.int()), byBox: z.record(z.string(), z.record(z.string(), z.int())) }) }),
        ),
      },
    },
  },
};
