import { z } from 'zod';
import { idSchema } from '../config/fields.js';

/**
 * The `sms` config section (node-daemon/sms, drivers/sms): warning SMS to the people responsible, through a USB modem
 * or a carrier's HTTP SMS platform. Pure. `alarms.sites[].notify` names the groups (config/cross-check.ts checks the
 * references between notify, groups and people).
 */

/** What an SMS can be about: the two public levels, the all-clear, a sensor fault of the site. */
export const SMS_EVENT_KINDS = ['prepare', 'evacuate', 'all_clear', 'fault'] as const;
export type SmsEventKind = (typeof SMS_EVENT_KINDS)[number];

const E164 = /^\+[1-9]\d{7,14}$/;
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

/** `+8613800138000`, `13800138000`, `138 0013 8000`, `0086-138…` → `+8613800138000`; undefined when neither form. */
export function normalisePhone(raw: string): string | undefined {
  const compact = raw.replace(/[\s\-().]/g, '').replace(/^00/, '+');
  if (MAINLAND_MOBILE.test(compact)) return `+86${compact}`;
  return E164.test(compact) ? compact : undefined;
}

const phoneSchema = z.string().transform((raw, ctx) => {
  const phone = normalisePhone(raw);
  if (phone === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a phone number in E.164 form (+8613800138000) or a mainland mobile number of 11 digits (13800138000)' });
    return z.NEVER;
  }
  return phone;
});

export const smsPersonSchema = z
  .strictObject({
    id: idSchema.describe('person id, named by groups[].people'),
    name: z.string().min(1).describe('as shown in the alarm history, e.g. 张村长'),
    phone: phoneSchema.describe('E.164 (+8613800138000) or a mainland 11-digit mobile number (stored as +86…)'),
    roles: z.array(idSchema).default([]).describe('roles groups can select by, e.g. [village-head, duty-officer]'),
  })
  .describe('one person who gets warning SMS');

export const smsGroupSchema = z
  .strictObject({
    id: idSchema.describe('group id, named by alarms.sites[].notify[].group'),
    people: z.array(idSchema).default([]).describe('ids of sms.people in the group'),
    roles: z.array(idSchema).default([]).describe('and everyone with one of these roles'),
  })
  .refine((g) => g.people.length + g.roles.length > 0, { message: 'a group needs people or roles', path: ['people'] })
  .describe('who gets a site\'s SMS: people by id and/or by role');

const modemTransportSchema = z.strictObject({
  modem: z
    .strictObject({
      path: z.string().min(1).describe('serial device of the modem\'s AT port, e.g. /dev/ttyUSB2 or /dev/serial/by-id/...'),
      pin: z.string().regex(/^\d{4,8}$/, '4 to 8 digits').optional().describe('SIM PIN, when the SIM asks for one; never retried after a refusal'),
      baudRate: z.number().int().min(1200).max(4_000_000).default(115_200),
    })
    .describe('a USB 3G/4G modem speaking AT commands (drivers/sms)'),
});

const httpTransportSchema = z.strictObject({
  http: z
    .strictObject({
      url: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL').describe('the platform\'s send endpoint (POST)'),
      format: z.enum(['json', 'form']).default('json').describe('body as JSON or application/x-www-form-urlencoded'),
      fields: z
        .record(z.string().min(1), z.string())
        .refine((f) => Object.values(f).some((v) => v.includes('{number}')) && Object.values(f).some((v) => v.includes('{text}')), 'one field must use {number} and one {text}')
        .describe('body fields, templates with {number}, {text}, {timestamp} (UTC ms), {nonce}, e.g. { mobile: "{number}", content: "{text}", account: county-01 }'),
      secretFile: z.string().min(1).describe('file holding the shared secret of the HMAC-SHA256 signature (read at start, whitespace trimmed)'),
      signatureHeader: z.string().min(1).default('X-Signature').describe('header carrying hex HMAC-SHA256(secret, body)'),
      timestampHeader: z.string().min(1).default('X-Timestamp').describe('header carrying the request time, UTC ms'),
      nonceHeader: z.string().min(1).default('X-Nonce').describe('header carrying a random nonce, new for every request'),
      timeoutMs: z.number().int().min(500).max(120_000).default(10_000).describe('one request, answer included'),
      successField: z.string().min(1).optional().describe('dot path of a field in the JSON answer that must equal successValue, e.g. code; absent: the HTTP status alone decides'),
      successValue: z.union([z.string(), z.number(), z.boolean()]).default(0).describe('the value of successField on success'),
      messageIdField: z.string().min(1).optional().describe('dot path of the platform\'s message id in the answer (logged and stored)'),
    })
    .describe('a carrier\'s bulk-SMS platform over HTTP(S) (drivers/sms/http-platform.ts)'),
});

export const smsTemplatesSchema = z
  .strictObject({
    prepare: z.string().min(1).max(500).default('【防汛预警】{site}水位{value}米，已达准备转移水位{threshold}米（{time}），请组织沿河群众做好转移准备。'),
    evacuate: z.string().min(1).max(500).default('【防汛预警】{site}水位{value}米，已达立即转移水位{threshold}米（{time}），请立即组织沿河群众转移！'),
    deescalated: z
      .string()
      .min(1)
      .max(500)
      .default('【防汛预警】{site}水位{value}米，已回落至立即转移水位以下（{time}），预警降为准备转移，已转移群众暂勿返回。')
      .describe('sent instead of prepare when an evacuate alarm falls back to prepare: people already moved must not go home yet'),
    allClear: z.string().min(1).max(500).default('【防汛预警】{site}警报解除（{time}）。'),
    fault: z.string().min(1).max(500).default('【防汛预警】{site}设备故障：{title}（{time}），请尽快检修。'),
  })
  .describe('SMS templates: {site}, {level}, {value} (metres), {threshold} (metres), {sensor}, {title}, {time} (local HH:mm); a drill starts with 【演练】');

export const smsSchema = z
  .strictObject({
    transport: z.union([modemTransportSchema, httpTransportSchema]).describe('exactly one of modem and http'),
    people: z.array(smsPersonSchema).default([]),
    groups: z.array(smsGroupSchema).default([]),
    perNumberPerHour: z.number().int().min(1).max(1000).default(6).describe('SMS one number gets in any 60 minutes at most; more are recorded as suppressed'),
    dailyCap: z.number().int().min(1).max(100_000).default(200).describe('SMS the box sends per calendar day (site.timezone) at most, for cost; more are recorded as suppressed'),
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(20).default(4).describe('tries of one SMS on transient errors (network, timeout, modem reset)'),
        initialMs: z.number().int().min(100).max(600_000).default(5_000).describe('wait before the second try; doubles up to maxMs'),
        maxMs: z.number().int().min(100).max(3_600_000).default(120_000),
      })
      .prefault({}),
    faultAfterFailures: z.number().int().min(1).max(100).default(3).describe('consecutive transient failures that raise output_fault:sms (cleared by the next SMS sent)'),
    requestReports: z.boolean().default(true).describe('ask the network for delivery reports (the modem only)'),
    templates: smsTemplatesSchema.prefault({}),
  })
  .describe('warning SMS to the people responsible (issue #18)');

export const siteNotifySchema = z
  .strictObject({
    group: idSchema.describe('an sms.groups id'),
    levels: z.array(z.enum(SMS_EVENT_KINDS)).min(1).default([...SMS_EVENT_KINDS]).describe('what the group is told: prepare, evacuate, all_clear, fault'),
  })
  .describe('an SMS group told of this site\'s alarms');

export type SmsConfig = z.output<typeof smsSchema>;
export type SmsPerson = z.output<typeof smsPersonSchema>;
export type SmsGroup = z.output<typeof smsGroupSchema>;
export type SmsTemplates = z.output<typeof smsTemplatesSchema>;
export type SiteNotify = z.output<typeof siteNotifySchema>;
export type HttpPlatformConfig = z.output<typeof httpTransportSchema>['http'];
