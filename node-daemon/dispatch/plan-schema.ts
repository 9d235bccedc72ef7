import { z } from 'zod';
import { idSchema } from '../config/fields.js';

const outputId = idSchema;

/**
 * What one alarm level sets off. Message templates take `{site}`, `{level}` (准备转移 / 立即转移), `{time}` (local
 * HH:mm in the site's time zone), `{value}` (metres, 2 decimals) and `{sensor}`; a drill prefixes 【演练】 everywhere.
 */
export const levelPlanSchema = z.strictObject({
  relays: z.array(outputId).default([]).describe('relay names (keys of outputs.relays) switched on while the alarm is active'),
  sirenPattern: z.string().min(1).optional().describe('a siren pattern name; omitted: no siren tone before the message'),
  message: z.string().min(1).max(500).describe('the spoken message template (Mandarin) of a flood alarm raised by the rules'),
  manualMessage: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe('the spoken template of a manual, drill or county alarm at this level (no reading to quote); default a built-in text'),
  ledText: z.string().min(1).max(200).describe('the LED board text template'),
  repeat: z.number().int().min(1).max(20).default(3).describe('how many times the programme plays'),
  intervalS: z.number().int().min(0).max(3600).default(30).describe('pause between repeats'),
  /** Acknowledging stops the sound and the siren relay; the LED text and the strobe stay until the alarm clears. */
  silenceOnAck: z.boolean().default(true),
});

export const dispatchPlanSchema = z.strictObject({
  prepare: levelPlanSchema.default({
    relays: ['amplifier', 'strobe'],
    sirenPattern: 'prepare',
    message: '注意：{site}水位已达准备转移水位（{value}米，{time}），请沿河群众做好转移准备。',
    ledText: '{site} 准备转移 {time}',
    repeat: 3,
    intervalS: 30,
    silenceOnAck: true,
  }),
  evacuate: levelPlanSchema.default({
    relays: ['amplifier', 'siren', 'strobe'],
    sirenPattern: 'evacuate',
    message: '紧急通知：{site}水位已达立即转移水位（{value}米，{time}），请沿河群众立即转移！',
    ledText: '{site} 立即转移！{time}',
    repeat: 3,
    intervalS: 20,
    silenceOnAck: true,
  }),
  /** Played once when a flood alarm clears (解除). */
  allClear: z
    .strictObject({
      sirenPattern: z.string().min(1).optional().describe('a chime before the message (built-in: allClear); omitted: none'),
      message: z.string().min(1).max(500),
      ledText: z.string().min(1).max(200),
    })
    .default({ sirenPattern: 'allClear', message: '{site}警报解除。', ledText: '{site} 警报解除 {time}' }),
});

/** Spoken when an operator, a drill or the county raises the level: there is no reading behind it to quote. */
export const DEFAULT_MANUAL_MESSAGE = {
  prepare: '注意：{site}发布准备转移预警（{time}），请沿河群众做好转移准备。',
  evacuate: '紧急通知：{site}发布立即转移指令（{time}），请沿河群众立即转移！',
} as const;

export type LevelPlan = z.output<typeof levelPlanSchema>;
export type DispatchPlan = z.output<typeof dispatchPlanSchema>;
