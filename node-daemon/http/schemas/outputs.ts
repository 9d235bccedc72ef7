import { z } from 'zod';
import { ALARM_LEVELS } from '../../alarms/types.js';
import type { OutputsSnapshot } from '../../dispatch/outputs-snapshot.js';
import { apiSchemas } from '../api-registry.js';

/** The answer of `GET /outputs` (routes/outputs.ts). Free of Node: the web UI's contract (contract.ts) reads it. */

const utcMs = z.number().int().describe('UTC milliseconds');

export const relaySnapshotSchema = z.object({
  name: z.string().describe('relay name, as the dispatch plans use it'),
  pin: z.number().int().describe('digital pin on the I/O board'),
  on: z.boolean().describe('last level commanded'),
  confirmed: z.boolean().describe('the board read back the commanded level'),
  confirmedAt: utcMs.nullable(),
  lastError: z.string().nullable(),
});

export const speakerSnapshotSchema = z.object({
  id: z.string(),
  device: z.string().describe('ALSA device or file: sink'),
  state: z.enum(['idle', 'playing']),
  alarmKey: z.string().nullable().describe('key of the alarm whose programme plays (an all-clear names the alarm that cleared)'),
  level: z.enum(ALARM_LEVELS).nullable(),
  lastError: z.string().nullable(),
  at: utcMs.nullable().describe('when the state last changed'),
});

export const ledBoardSnapshotSchema = z.object({
  id: z.string(),
  text: z.string().nullable().describe('text last sent; null = blank'),
  acknowledged: z.boolean().describe('the board acknowledged the text'),
  lastError: z.string().nullable(),
  at: utcMs.nullable().describe('when the board last answered or failed to'),
});

export const outputsSnapshotSchema = z
  .object({
    ioBoard: z.object({ connection: z.enum(['idle', 'connecting', 'connected', 'lost', 'stopped']) }).nullable(),
    relays: z.array(relaySnapshotSchema),
    speakers: z.array(speakerSnapshotSchema),
    ledBoards: z.array(ledBoardSnapshotSchema),
    silenceOnAck: z
      .object({ prepare: z.boolean(), evacuate: z.boolean() })
      .describe(
        "per level, whether acknowledging stops the siren and the spoken warning (the dispatch plans' `silenceOnAck`, as in effect now); " +
          'false: acknowledging only records that the alarm was seen, the sound goes on until it clears. LED text and strobe stay either way',
      ),
  })
  .register(apiSchemas, { id: 'Outputs' });

// The documented shape and the dispatcher's type must not drift apart.
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<z.output<typeof outputsSnapshotSchema>, Mutable<OutputsSnapshot>> = true;
void sameShape;
