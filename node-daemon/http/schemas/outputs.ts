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

export const ioFirmwareSchema = z
  .object({
    configured: z.enum(['standard-firmata', 'fenghuo', 'auto']).describe('outputs.ioBoard.firmware'),
    reported: z.string().nullable().describe('firmware name the board reported at the last connect (fenghuo-io for ours); null before'),
    extensions: z.boolean().describe('the fenghuo extensions (fail-safe, evacuate latch, rain counter) are in use on the current connection'),
    failsafe: z
      .object({
        state: z
          .enum(['host', 'silent-safe', 'evacuating', 'expired'])
          .describe('host: the daemon is in control; silent-safe: the daemon fell silent, relays put safe; evacuating: the board sounds evacuate on its own; expired: its run hit the bound'),
        armed: z.boolean().describe('the board has seen a heartbeat since it powered on (silence now counts)'),
        evacuateArmed: z.boolean().describe('the board sounds evacuate on its own if the daemon falls silent now'),
        watchdogResets: z.number().int().describe('watchdog resets of the board since power-on (saturates at 127)'),
        resetCause: z.array(z.enum(['power-on', 'external', 'brown-out', 'watchdog'])).describe("causes of the board's last reset"),
        uptimeMs: z.number().describe('board uptime at that status'),
        at: utcMs.describe('when the board sent this status'),
      })
      .nullable()
      .describe("the fenghuo board's last STATUS; null with StandardFirmata or before the first answer"),
  })
  .describe('the I/O board firmware');

export const outputsSnapshotSchema = z
  .object({
    ioBoard: z
      .object({
        connection: z.enum(['idle', 'connecting', 'connected', 'lost', 'stopped']),
        firmware: ioFirmwareSchema.nullable(),
      })
      .nullable(),
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
