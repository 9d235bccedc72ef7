import type { SmsEventKind } from './config-schema.js';

/** Types of the SMS module shared with the API schemas (pure). */

export const SMS_STATES = ['queued', 'sent', 'delivered', 'failed', 'suppressed'] as const;
export type SmsState = (typeof SMS_STATES)[number];

/** One recipient's SMS of one alarm transition, as stored and as the alarm history shows it. */
export interface SmsDelivery {
  readonly id: number;
  readonly alarmId: number;
  readonly transitionId: number;
  readonly personId: string;
  readonly name: string;
  readonly phone: string;
  readonly event: SmsEventKind;
  readonly drill: boolean;
  readonly text: string;
  readonly state: SmsState;
  /** Why it was suppressed (rate limit, daily cap). */
  readonly reason?: string;
  /** The last error (SmsError code and message) of a failed try. */
  readonly errorCode?: string;
  readonly error?: string;
  readonly attempts: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly sentAt?: number;
  readonly deliveredAt?: number;
}

export type SmsTransportKind = 'modem' | 'http';

export interface SmsHealth {
  readonly transport: SmsTransportKind;
  /** The transport's last status check, or the last try's outcome. */
  readonly ready: boolean;
  readonly lastError?: string;
  readonly consecutiveFailures: number;
  readonly queued: number;
  readonly sentToday: number;
  readonly dailyCap: number;
  /** output_fault:sms is open. */
  readonly fault: boolean;
  readonly lastSentAt?: number;
}

