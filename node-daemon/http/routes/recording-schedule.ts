import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ScheduleRequestError, type ScheduleEntryRequest } from '../../recording-schedule/entry-checks.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, pathParameter, type OperationDoc, type PathItemDoc } from '../openapi-doc.js';
import {
  scheduleAddedSchema,
  scheduleDeletedSchema,
  scheduleEntryBodySchema,
  scheduleViewSchema,
  type ScheduleAdded,
  type ScheduleDeleted,
  type ScheduleView,
} from '../schemas/recording-schedule.js';
import { validateJsonBody } from '../validate-body.js';
import { requestUser } from './request-user.js';

/** What the schedule routes need (node-daemon/recording-schedule/schedule-module.ts is one). */
export interface RecordingScheduleSource {
  view(): ScheduleView;
  /** Throws ScheduleRequestError for a request it refuses. */
  add(req: ScheduleEntryRequest, account: string | undefined): ScheduleAdded;
  /** Undefined: no entry or job has that id. Throws ScheduleRequestError for one that cannot be deleted here. */
  remove(id: string, account: string | undefined): ScheduleDeleted | undefined;
}

function refused(c: Context, err: unknown): Response {
  if (!(err instanceof ScheduleRequestError)) throw err;
  const code = err.status === 400 ? 'bad_request' : err.status === 404 ? 'not_found' : 'conflict';
  return c.json(errorBody(code, err.message, err.param), err.status);
}

/**
 * `/recordings/schedule`: the jobs to come with their conflicts and the guide's state; add a one-off, weekly or
 * record-now entry (operator); delete an entry or cancel one job (operator). Mount before `/recordings/:id`.
 */
export function recordingScheduleRoutes(source: RecordingScheduleSource): Hono {
  return new Hono()
    .get('/recordings/schedule', (c) => c.json(source.view(), 200))
    .post('/recordings/schedule', async (c) => {
      const body = validateJsonBody(await c.req.text(), scheduleEntryBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      try {
        return c.json(source.add(body.data, requestUser(c)), 201);
      } catch (err) {
        return refused(c, err);
      }
    })
    .delete('/recordings/schedule/:id', (c) => {
      const id = c.req.param('id');
      try {
        const done = source.remove(id, requestUser(c));
        if (done === undefined) return c.json(errorBody('not_found', `no schedule entry or job ${id}`, 'id'), 404);
        return c.json(done, 200);
      } catch (err) {
        return refused(c, err);
      }
    });
}

type PathItemWithDelete = PathItemDoc & { readonly delete?: OperationDoc };

export const recordingSchedulePaths: Readonly<Record<string, PathItemWithDelete>> = {
  '/recordings/schedule': {
    get: {
      operationId: 'getRecordingSchedule',
      summary: 'The recording schedule: jobs to come, conflicts, entries, the XMLTV guide\'s state',
      description:
        'Jobs are planned from the XMLTV guide (recording.rules), the weekly entries of the config and the entries added here, ' +
        'padded (recording.paddingBeforeS/AfterS); jobs of one channel that overlap are merged. Two jobs on different channels ' +
        'that need one input (recording.receivers, one capture device) are a conflict: the later one is not started. A guide ' +
        'that cannot be read is reported under `guide.error` with its line, and the last good guide stays in use.',
      responses: { '200': jsonResponse('the schedule', scheduleViewSchema) },
    },
    post: {
      operationId: 'addRecordingScheduleEntry',
      summary: 'Add a one-off or weekly recording, or record a channel now',
      description: 'Planned at once; the answer carries the jobs that carry the entry and any conflict it takes part in. The asking account is stored with it.',
      requestBody: jsonRequestBody(scheduleEntryBodySchema),
      responses: {
        '201': jsonResponse('the entry, its jobs and conflicts', scheduleAddedSchema),
        '400': errorResponse('a field is invalid, or names a channel this box does not have; `error.param` names it'),
      },
    },
  },
  '/recordings/schedule/{id}': {
    delete: {
      operationId: 'deleteRecordingScheduleEntry',
      summary: 'Delete an entry, or cancel one job (a guide programme, one weekly occurrence)',
      description: 'A job that is recording stops. Entries of the config file (recording.weekly) are changed there (409); one of their jobs can be cancelled here.',
      parameters: [pathParameter('id', z.string().describe('an entry id, or a job id (or one of its parts) from GET /recordings/schedule'))],
      responses: {
        '200': jsonResponse('what was deleted', scheduleDeletedSchema),
        '404': errorResponse('no entry or job has this id'),
        '409': errorResponse('the entry comes from the config file'),
      },
    },
  },
};
