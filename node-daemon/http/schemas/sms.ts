import { z } from 'zod';
import { SMS_EVENT_KINDS } from '../../sms/config-schema.js';
import { SMS_STATES, type SmsDelivery, type SmsHealth } from '../../sms/sms-types.js';

export const smsHealthSchema = z
  .strictObject({
    transport: z.enum(['modem', 'http']),
    ready: z.boolean().describe('the last status check or try: able to send'),
    lastError: z.string().optional().describe('code: message of the last failure (no_sim, no_network, timeout, http_error …)'),
    consecutiveFailures: z.int().describe('failed tries in a row; faultAfterFailures of them open output_fault:sms'),
    queued: z.int().describe('SMS waiting to be sent or tried again'),
    sentToday: z.int().describe('SMS queued or sent today (site.timezone), counted against dailyCap'),
    dailyCap: z.int(),
    fault: z.boolean().describe('the alarm output_fault:sms is open'),
    lastSentAt: z.int().optional().describe('UTC ms of the last SMS the transport took'),
  })
  .describe('warning SMS (config sms)');

export const smsDeliverySchema = z
  .strictObject({
    id: z.int(),
    alarmId: z.int(),
    transitionId: z.int().describe('the transition of the alarm this SMS is about'),
    personId: z.string(),
    name: z.string(),
    phone: z.string().describe('E.164'),
    event: z.enum(SMS_EVENT_KINDS),
    drill: z.boolean(),
    text: z.string(),
    state: z.enum(SMS_STATES).describe('queued → sent → delivered | failed; suppressed: over the rate limit or the daily cap (see reason)'),
    reason: z.string().optional(),
    errorCode: z.string().optional().describe('SmsError code of the last failed try (cms_error, timeout, http_error, not_delivered …)'),
    error: z.string().optional(),
    attempts: z.int(),
    createdAt: z.int(),
    updatedAt: z.int(),
    sentAt: z.int().optional(),
    deliveredAt: z.int().optional(),
  })
  .describe('one recipient\'s warning SMS');

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const healthMatches: Same<z.infer<typeof smsHealthSchema>, Mutable<SmsHealth>> = true;
const deliveryMatches: Same<z.infer<typeof smsDeliverySchema>, Mutable<SmsDelivery>> = true;
void healthMatches;
void deliveryMatches;
