import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** Answers of the broadcast routes (routes/broadcast.ts). Free of Node: the web UI's contract (contract.ts) reads them. */

const account = z
  .string()
  .optional()
  .describe('the account recorded as asking: the signed-in user\'s name, or `token:<id>` for an API token (absent only when the API runs without its auth layer)');

export const speakAcceptedSchema = z
  .strictObject({
    key: z.string().describe('playout key of the announcement (shown as alarmKey by GET /outputs while it plays)'),
    speakers: z.array(z.string()),
    account,
  })
  .register(apiSchemas, { id: 'SpeakAccepted' });

export const ledAcceptedSchema = z
  .strictObject({
    boards: z.array(z.string()),
    until: z.number().int().describe('UTC ms when the text goes'),
    shownNow: z.boolean().describe('false while an alarm or all-clear text holds the boards: the text shows after it, if not expired'),
    account,
  })
  .register(apiSchemas, { id: 'LedAccepted' });
