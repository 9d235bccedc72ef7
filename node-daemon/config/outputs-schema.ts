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

export const IO_FIRMWARES = ['standard-firmata', 'fenghuo', 'auto'] as const;
export const RELAY_ROLES = ['plain', 'siren', 'hold'] as const;

export const ioRelayOptionsSchema = z
  .strictObject({
    activeLow: z.boolean().default(false).describe('the relay module switches on when its input is LOW (many cheap modules do); the daemon inverts the pin level'),
    role: z
      .enum(RELAY_ROLES)
      .optional()
      .describe(
        'what the fenghuo firmware does with this relay when the daemon falls silent: siren = sounds the evacuate pattern while an evacuate alarm was sounding; ' +
          'hold = keeps its level during that (e.g. the amplifier the siren goes through), off after; plain = off. ' +
          "Default: siren for a relay named siren, hold for amplifier and every speaker's amplifierRelay, plain otherwise",
      ),
  })
  .describe('polarity and fail-safe role of one relay');

export const ioFailsafeSchema = z
  .strictObject({
    silenceS: z
      .number()
      .int()
      .min(0)
      .max(16_383)
      .default(10)
      .describe('fenghuo firmware: seconds without a heartbeat from the daemon after which the board takes over (relays safe, or the evacuate pattern); 0 = no fail-safe'),
    heartbeatMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(1_000)
      .describe('fenghuo firmware: how often the daemon sends its heartbeat; must be well under silenceS (at most a third of it)'),
    evacuateOnMs: z.number().int().min(50).max(16_383).default(1_000).describe('fenghuo firmware: evacuate pattern the board sounds on its own, siren on for this long'),
    evacuateOffMs: z.number().int().min(50).max(16_383).default(1_000).describe('fenghuo firmware: evacuate pattern, siren off for this long'),
    boundS: z
      .number()
      .int()
      .min(1)
      .max(16_383)
      .default(600)
      .describe('fenghuo firmware: the longest the board sounds evacuate on its own before it puts every relay safe and stays quiet'),
    pulsePollMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(1_000)
      .describe('fenghuo firmware: how often the rain-gauge counters (inputs with role rain_gauge on pin 2 or 3) are read'),
  })
  .superRefine((f, ctx) => {
    if (f.silenceS > 0 && f.heartbeatMs * 3 > f.silenceS * 1_000) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatMs'],
        message: `failsafe.heartbeatMs ${f.heartbeatMs} is too close to failsafe.silenceS ${f.silenceS} s: a late heartbeat would hand the relays to the board; use at most ${Math.floor((f.silenceS * 1_000) / 3)} ms`,
      });
    }
  })
  .describe('fenghuo firmware only: what the board does when the daemon falls silent (killed, hung, unplugged)');

export const ioBoardSchema = z
  .strictObject({
    path: serialPath.describe('serial device of the I/O co-processor (StandardFirmata or our fenghuo-io firmware)'),
    baudRate: baud.default(57600).describe('StandardFirmata uses 57600'),
    relays: z
      .record(id, pin)
      .default({})
      .describe('relay name → digital pin, e.g. amplifier: 8, siren: 9, strobe: 10; dispatch plans name these'),
    inputs: z.record(id, ioInputSchema).default({}).describe('input name → pin and role'),
    confirmTimeoutMs: z.number().int().min(50).max(10_000).default(1_000).describe('how long a relay write waits for its read-back'),
    heartbeatMs: z.number().int().min(0).max(60_000).default(5_000).describe('board ping period; two missed pings mean the board is lost (0 = off)'),
    firmware: z
      .enum(IO_FIRMWARES)
      .default('standard-firmata')
      .describe(
        'firmware on the board: standard-firmata (plain Firmata, nothing extra); fenghuo (our fenghuo-io firmware: relay polarity and roles on the board, ' +
          'fail-safe heartbeat, evacuate latch, interrupt rain-gauge counter; used only once the board reports the name fenghuo-io, otherwise an error is logged ' +
          'and the board is driven as standard-firmata); auto (the fenghuo extras when the board reports fenghuo-io, plain Firmata otherwise, without an error)',
      ),
    handshakeTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(120_000)
      .default(10_000)
      .describe(
        'from opening the port to the end of the Firmata handshake; opening resets an Uno/Nano clone (bootloader 0.5–2 s, then StandardFirmata blinks ~2 s), ' +
          'so keep it well above the boot time. After a failed handshake the next attempt waits twice as long (up to 120 s), so a slow board is never reset for ever',
      ),
    relayOptions: z
      .record(id, ioRelayOptionsSchema)
      .default({})
      .describe('per relay (a name of relays): polarity and fail-safe role; a relay not listed is active-high with the role its name suggests'),
    failsafe: ioFailsafeSchema.default(ioFailsafeSchema.parse({})),
  })
  .superRefine((io, ctx) => {
    for (const name of Object.keys(io.relayOptions)) {
      if (name in io.relays) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['relayOptions', name],
        message: `relayOptions.${name} names no relay of outputs.ioBoard.relays (it has: ${Object.keys(io.relays).join(', ') || 'none'})`,
      });
    }
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
export const LED_ALIGNS = ['left', 'center', 'right'] as const;

export const ledBoardSchema = z
  .strictObject({
    id: id.describe('LED board id'),
    name: z.string().min(1).optional().describe('shown in the UI, e.g. 村口显示屏'),
    protocol: z
      .enum(LED_PROTOCOLS)
      .default('bx-5k')
      .describe('controller protocol: Onbon BX-5K (area x/width sent in 8-pixel units) or BX-6K (sent in pixels, bit 15 set)'),
    path: serialPath.describe('serial device of the board (RS-232 or an RS-485 adapter)'),
    baudRate: baud.describe('the board\'s line speed (set on the board; BX boards ship at 57600 or 9600)'),
    address: z.number().int().min(1).max(0xfffe).default(1).describe('the board\'s address on the line'),
    screen: z
      .strictObject({ width: z.number().int().min(8).max(4096), height: z.number().int().min(8).max(4096) })
      .default({ width: 128, height: 32 })
      .describe('screen size in pixels'),
    align: z.enum(LED_ALIGNS).default('left').describe('horizontal alignment of the text on the board (the protocol\'s TextAlignment byte)'),
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
export type IoRelayOptions = z.output<typeof ioRelayOptionsSchema>;
export type IoFailsafeConfig = z.output<typeof ioFailsafeSchema>;
export type SpeakerConfig = z.output<typeof speakerSchema>;
export type LedBoardConfig = z.output<typeof ledBoardSchema>;
export type OutputsConfig = z.output<typeof outputsSchema>;
