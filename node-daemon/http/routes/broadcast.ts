import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { OutputRequestError } from '../../../broadcast/station/pick.js';
import type { AnnounceRequest } from '../../../broadcast/station/station.js';
import { DEFAULT_NOTICE_MINUTES, type ShowTextRequest } from '../../dispatch/dispatcher.js';
import type { LedBody, SpeakBody } from '../contract.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { ledAcceptedSchema, speakAcceptedSchema } from '../schemas/broadcast.js';
import { validateJsonBody } from '../validate-body.js';
import { requestUser } from './request-user.js';
import { idSchema } from '../../config/fields.js';

/** What the broadcast routes drive; the dispatcher is one. */
export interface Broadcaster {
  announce(req: AnnounceRequest): { readonly key: string; readonly speakers: readonly string[] };
  showText(req: ShowTextRequest): { readonly boards: readonly string[]; readonly until: number; readonly shownNow: boolean };
}

const outputId = idSchema;
const by = z
  .string()
  .min(1)
  .max(100)
  .optional()
  .describe('optional, on behalf of whom (free text, e.g. 县长), journalled beside the signed-in account that asks; the account always comes from the sign-in or API token');

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

// The answers' schemas live in a module free of Node (the web UI's contract reads them); re-exported from here as before.
export { ledAcceptedSchema, speakAcceptedSchema } from '../schemas/broadcast.js';

// The bodies name the dispatcher's default (it brings Node along), so the contract spells them out; these keep it honest.
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const speakBodyMatches: Identical<z.input<typeof speakBodySchema>, SpeakBody> = true;
const ledBodyMatches: Identical<z.input<typeof ledBodySchema>, LedBody> = true;
void speakBodyMatches;
void ledBodyMatches;

type Refusal = { status: 400 | 409; body: ReturnType<typeof errorBody> };

function refusal(err: unknown): Refusal {
  if (err instanceof OutputRequestError) {
    const none = err.reason === 'none';
    return { status: none ? 409 : 400, body: errorBody(none ? 'conflict' : 'bad_request', err.message, err.param) };
  }
  throw err;
}

/** Who asks: the account from the request's authentication, and whom it acts for when the body says (`by`). */
type Asker = { readonly account?: string; readonly by?: string };

export function broadcastRoutes(target: Broadcaster): Hono {
  const handle =
    <S extends z.ZodType<{ by?: string | undefined }>, R extends object>(schema: S, act: (body: z.output<S>, who: Asker) => R) =>
    async (c: Context): Promise<Response> => {
      const body = validateJsonBody(await c.req.text(), schema);
      if (!body.ok) return c.json(body.error, 400);
      const account = requestUser(c);
      const who: Asker = { ...(account === undefined ? {} : { account }), ...(body.data.by === undefined ? {} : { by: body.data.by }) };
      try {
        return c.json({ ...act(body.data, who), ...(account === undefined ? {} : { account }) }, 202);
      } catch (err) {
        const r = refusal(err);
        return c.json(r.body, r.status);
      }
    };
  return new Hono()
    .post(
      '/broadcast/speak',
      handle(speakBodySchema, (b, who) => target.announce({ text: b.text, ...(b.speakers === undefined ? {} : { speakers: b.speakers }), ...who })),
    )
    .post(
      '/broadcast/led',
      handle(ledBodySchema, (b, who) =>
        target.showText({
          text: b.text,
          ...(b.boards === undefined ? {} : { boards: b.boards }),
          ...(b.minutes === undefined ? {} : { minutes: b.minutes }),
          ...who,
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
        'pre-empts it (the message plays again, whole, afterwards) and it never interrupts an alarm. The asking account ' +
        '(signed-in user or `token:<id>`) is journalled with it (`station.announce`: `account`, and `by` when given) and ' +
        'returned as `account`.',
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
        'shown the operator\'s text waits (its time runs on) and returns after it if not expired. The asking account is ' +
        'journalled with it (`dispatch.led_notice`: `account`, and `by` when given) and returned as `account`.',
      requestBody: jsonRequestBody(ledBodySchema),
      responses: { '202': jsonResponse('the boards and when the text goes', ledAcceptedSchema), ...refusals },
    },
  },
};
