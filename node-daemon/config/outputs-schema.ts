import { z } from 'zod';
import { BAUD_RATES, idSchema } from './fields.js';

const id = idSchema;
const serialPath = z.string().min(1).regex(/^\//, 'an absolute device path such as /dev/ttyACM0 or /dev/serial/by-id/…');
const baud = z.literal(BAUD_RATES);
/** Firmata digital pins on the boards we support (Uno/Nano 2–19, Mega up to 69); 0 and 1 are the serial line. */
const pin = z.number().int().min(2).max(69);

export const INPUT_ROLES = ['rain_gauge', 'manual_alarm', 'door', 'other'] as const;

export const ioInputSchema = z
  .strictObject({
    pin: pin.describe('digital pin of the input'),
    role: z.enum(INPUT_ROLES).describe('rain_gauge: each activation is one bucket tip; manual_alarm: the push-button; door: the cabinet door switch'),
    pullup: z.boolean().default(true).describe('enable the board\'s pull-up (a switch to ground)'),
    activeLow: z.boolean().optional().describe('low level means active; default: the same as pullup'),
    debounceMs: z.number().int().min(0).max(5_000).default(30).describe('a level counts once it held this long'),
  })
  .describe('a digital input of the I/O board');

export const ioBoardSchema = z
  .strictObject({
    path: serialPath.describe('serial device of the I/O co-processor (StandardFirmata)'),
    baudRate: baud.default(57600).describe('StandardFirmata uses 57600'),
    relays: z
      .record(id, pin)
      .default({})
      .describe('relay name → digital pin, e.g. amplifier: 8, siren: 9, strobe: 10; dispatch plans name these'),
    inputs: z.record(id, ioInputSchema).default({}).describe('input name → pin and role'),
    confirmTimeoutMs: z.number().int().min(50).max(10_000).default(1_000).describe('how long a relay write waits for its read-back'),
    heartbeatMs: z.number().int().min(0).max(60_000).default(5_000).describe('board ping period; two missed pings mean the board is lost (0 = off)'),
  })
  .describe('the I/O co-processor: relays (amplifier power, siren, strobe) and digital inputs');

export const speakerSchema = z
  .strictObject({
    id: id.describe('speaker id'),
    name: z.string().min(1).optional().describe('shown in the UI, e.g. 村委会大喇叭'),
    device: z
      .string()
      .min(1)
      .default('default')
      .describe('ALSA device for aplay (default, plughw:1,0, …) or file:/absolute/path.wav to record what would be played'),
    voice: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_+-]*$/, 'an espeak-ng voice name such as cmn').default('cmn').describe('espeak-ng voice of the spoken message (cmn = Mandarin)'),
    rate: z.number().int().min(80).max(450).default(140).describe('speaking rate, words per minute'),
    amplifierRelay: id.optional().describe('relay (key of outputs.ioBoard.relays) that powers this speaker\'s amplifier; on before, off after each programme'),
  })
  .describe('a loudspeaker: siren tone and spoken message');

export const LED_PROTOCOLS = ['bx-5k', 'bx-6k'] as const;

export const ledBoardSchema = z
  .strictObject({
    id: id.describe('LED board id'),
    name: z.string().min(1).optional().describe('shown in the UI, e.g. 村口显示屏'),
    protocol: z.enum(LED_PROTOCOLS).default('bx-5k').describe('controller protocol: Onbon BX-5K or BX-6K'),
    path: serialPath.describe('serial device of the board (RS-232 or an RS-485 adapter)'),
    baudRate: baud.describe('the board\'s line speed (set on the board; BX boards ship at 57600 or 9600)'),
    address: z.number().int().min(1).max(0xfffe).default(1).describe('the board\'s address on the line'),
    screen: z
      .strictObject({ width: z.number().int().min(8).max(4096), height: z.number().int().min(8).max(4096) })
      .default({ width: 128, height: 32 })
      .describe('screen size in pixels'),
    requireReply: z.boolean().default(true).describe('ask the board to acknowledge every command (how a failed board is noticed)'),
    replyTimeoutMs: z.number().int().min(50).max(30_000).default(1_000).describe('how long to wait for the acknowledgement'),
  })
  .describe('an LED text board');

export const outputsSchema = z
  .strictObject({
    ioBoard: ioBoardSchema.optional(),
    speakers: z.array(speakerSchema).default([]).describe('loudspeakers'),
    ledBoards: z.array(ledBoardSchema).default([]).describe('LED text boards'),
  })
  .describe('what alarms are sent to: relays on the I/O board, loudspeakers, LED text boards');

export type IoInputConfig = z.output<typeof ioInputSchema>;
export type IoBoardConfig = z.output<typeof ioBoardSchema>;
export type SpeakerConfig = z.output<typeof speakerSchema>;
export type LedBoardConfig = z.output<typeof ledBoardSchema>;
export type OutputsConfig = z.output<typeof outputsSchema>;
