import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { DispatchRequestError, DEFAULT_NOTICE_MINUTES, type AnnounceRequest, type ShowTextRequest } from '../../dispatch/dispatcher.js';
import { apiSchemas } from '../api-registry.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { validateJsonBody } from '../validate-body.js';
import { requestUser } from './request-user.js';
import { idSchema } from '../../config/fields.js';

/** What the broadcast routes drive; the dispatcher is one. */
export interface Broadcaster {
  announce(req: AnnounceRequest): { readonly key: string; readonly speakers: readonly string[] };
  showText(req: ShowTextRequest): { readonly boards: readonly string[]; readonly until: number; readonly shownNow: boolean };
}

const outputId = idSchema;
const by = z.string().min(1).max(100).optional().describe('who asks (used only when the request is not from a signed-in user)');

export const speakBodySchema = z.strictObject({
  text: z.string().trim().min(1, 'text must not be empty').max(500).describe('what the loudspeakers say (Mandarin)'),
  speakers: z.array(outputId).min(1).max(64).optional().describe('speaker ids (outputs.speakers[].id); default every speaker'),
  by,
});

export const ledBodySchema = z.strictObject({
  text: z.string().trim().min(1, 'text must not be empty').max(200).describe('what the LED boards show'),
  boards: z.array(outputId).min(1).max(64).optional().describe('LED board ids (outputs.ledBoards[].id); default every board'),
  minutes: z.number().int().min(1).max(24 * 60).optional().describe(`how long the text stays; default ${DEFAULT_NOTICE_MINUTES}`),
  by,
});

export const speakAcceptedSchema = z
  .strictObject({
    key: z.string().describe('playout key of the announcement (shown as alarmKey by GET /outputs while it plays)'),
    speakers: z.array(z.string()),
  })
  .register(apiSchemas, { id: 'SpeakAccepted' });

export const ledAcceptedSchema = z
  .strictObject({
    boards: z.array(z.string()),
    until: z.number().int().describe('UTC ms when the text goes'),
    shownNow: z.boolean().describe('false while an alarm or all-clear text holds the boards: the text shows after it, if not expired'),
  })
  .register(apiSchemas, { id: 'LedAccepted' });

type Refusal = { status: 400 | 409; body: ReturnType<typeof errorBody> };

function refusal(err: unknown): Refusal {
  if (err instanceof DispatchRequestError) {
    const none = err.reason === 'none';
    return { status: none ? 409 : 400, body: errorBody(none ? 'conflict' : 'bad_request', err.message, err.param) };
  }
  throw err;
}

export function broadcastRoutes(target: Broadcaster): Hono {
  const handle =
    <S extends z.ZodType, R>(schema: S, act: (body: z.output<S>, by: string | undefined) => R) =>
    async (c: Context): Promise<Response> => {
      const body = validateJsonBody(await c.req.text(), schema);
      if (!body.ok) return c.json(body.error, 400);
      try {
        return c.json(act(body.data, requestUser(c) ?? (body.data as { by?: string }).by) as object, 202);
      } catch (err) {
        const r = refusal(err);
        return c.json(r.body, r.status);
      }
    };
  return new Hono()
    .post(
      '/broadcast/speak',
      handle(speakBodySchema, (b, who) => target.announce({ text: b.text, ...(b.speakers === undefined ? {} : { speakers: b.speakers }), ...(who === undefined ? {} : { by: who }) })),
    )
    .post(
      '/broadcast/led',
      handle(ledBodySchema, (b, who) =>
        target.showText({
          text: b.text,
          ...(b.boards === undefined ? {} : { boards: b.boards }),
          ...(b.minutes === undefined ? {} : { minutes: b.minutes }),
          ...(who === undefined ? {} : { by: who }),
        }),
      ),
    );
}

const refusals = {
  '400': errorResponse('a body field is invalid or names an output this box does not have; `error.param` names it (e.g. `speakers[1]`)'),
  '409': errorResponse('this box has no loudspeakers (or LED boards) configured'),
};

export const broadcastPaths: PathsDoc = {
  '/broadcast/speak': {
    post: {
      operationId: 'broadcastSpeak',
      summary: 'Speak an operator\'s message on the loudspeakers now',
      description:
        'Spoken once with espeak-ng on the named speakers (default all), as playout class `county`: an alarm programme ' +
        'pre-empts it (the message plays again, whole, afterwards) and it never interrupts an alarm.',
      requestBody: jsonRequestBody(speakBodySchema),
      responses: { '202': jsonResponse('queued on each speaker', speakAcceptedSchema), ...refusals },
    },
  },
  '/broadcast/led': {
    post: {
      operationId: 'broadcastLed',
      summary: 'Show an operator\'s text on the LED boards now',
      description:
        'Shown on the named boards (default all) for `minutes`. Alarm and all-clear texts take the boards back: while one is ' +
        'shown the operator\'s text waits (its time runs on) and returns after it if not expired.',
      requestBody: jsonRequestBody(ledBodySchema),
      responses: { '202': jsonResponse('the boards and when the text goes', ledAcceptedSchema), ...refusals },
    },
  },
};
