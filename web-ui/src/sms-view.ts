import type { AlarmWithHistory, SmsDelivery } from './api.js';
import { t, tk } from './i18n.js';

/** One recipient's SMS as the alarm history shows it: 张村长 已送达, with the number, text and error on hover. */
export interface SmsLine {
  readonly id: number;
  readonly who: string;
  readonly state: string;
  readonly tone: 'ok' | 'wait' | 'bad';
  readonly title: string;
}

const TONE: Readonly<Record<SmsDelivery['state'], SmsLine['tone']>> = { delivered: 'ok', sent: 'ok', queued: 'wait', failed: 'bad', suppressed: 'bad' };

/** The SMS of one transition of the alarm, in the order they were planned. */
export function smsLines(alarm: Pick<AlarmWithHistory, 'sms'>, transitionId: number): SmsLine[] {
  return (alarm.sms ?? [])
    .filter((s) => s.transitionId === transitionId)
    .map((s) => {
      const why = s.reason ?? (s.error === undefined ? undefined : `${s.errorCode ?? ''} ${s.error}`.trim());
      return {
        id: s.id,
        who: s.name,
        state: tk(`smsState_${s.state}`),
        tone: TONE[s.state],
        title: [t('smsTitle', { phone: s.phone, text: s.text }), why].filter((x) => x !== undefined).join('\n'),
      };
    });
}

/** How long after its last change a sent SMS may still get its delivery report (some platforms never send one). */
export const SMS_REPORT_WAIT_MS = 10 * 60_000;

/**
 * Whether an SMS of the alarm may still change state: queued, or sent and its delivery report still awaited. The
 * daemon pushes no event for it (the alarm itself does not change), so an open history asks again while this holds.
 */
export function smsUnsettled(alarm: Pick<AlarmWithHistory, 'sms'>, now: number): boolean {
  return (alarm.sms ?? []).some((s) => s.state === 'queued' || (s.state === 'sent' && now - s.updatedAt < SMS_REPORT_WAIT_MS));
}
