import type { Db } from '../storage/database.js';
import type { SmsEventKind } from './config-schema.js';
import { admit, type SmsLimits, type SmsRecipient } from './sms-plan.js';
import type { SmsDelivery, SmsState } from './sms-types.js';

export type { SmsDelivery, SmsState } from './sms-types.js';

interface Row {
  id: number;
  alarm_id: number;
  transition_id: number;
  person_id: string;
  person_name: string;
  phone: string;
  event: SmsEventKind;
  drill: number;
  text: string;
  state: SmsState;
  reason: string | null;
  error_code: string | null;
  error: string | null;
  attempts: number;
  next_attempt_at: number | null;
  transport_id: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  delivered_at: number | null;
}

export interface QueuedSms {
  readonly id: number;
  readonly phone: string;
  readonly text: string;
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

export interface NewSms {
  readonly alarmId: number;
  readonly transitionId: number;
  readonly recipient: SmsRecipient;
  readonly event: SmsEventKind;
  readonly drill: boolean;
  readonly text: string;
}

const HOUR = 3_600_000;

/** The SMS rows in SQLite: enqueueing with dedupe and limits in one transaction, then each try's outcome. */
export class SmsStore {
  constructor(private readonly db: Db) {}

  /**
   * Records the SMS unless this transition already has one for this number (returns undefined then). Over the rate
   * limit or the daily cap it is recorded as `suppressed` with the reason.
   */
  enqueue(sms: NewSms, now: number, limits: SmsLimits, dayStart: number): SmsDelivery | undefined {
    return this.db.transaction((): SmsDelivery | undefined => {
      const exists = this.db
        .prepare<[number, number, string], { id: number }>('SELECT id FROM sms_messages WHERE alarm_id = ? AND transition_id = ? AND phone = ?')
        .get(sms.alarmId, sms.transitionId, sms.recipient.phone);
      if (exists !== undefined) return undefined;
      const counted = "state != 'suppressed'";
      const numberLastHour = this.db.prepare<[string, number], { n: number }>(`SELECT count(*) AS n FROM sms_messages WHERE phone = ? AND created_at > ? AND ${counted}`).get(sms.recipient.phone, now - HOUR)!.n;
      const today = this.db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM sms_messages WHERE created_at >= ? AND ${counted}`).get(dayStart)!.n;
      const decision = admit({ numberLastHour, today }, limits);
      const info = this.db
        .prepare(
          `INSERT INTO sms_messages (alarm_id, transition_id, person_id, person_name, phone, event, drill, text, state, reason, next_attempt_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          sms.alarmId,
          sms.transitionId,
          sms.recipient.personId,
          sms.recipient.name,
          sms.recipient.phone,
          sms.event,
          sms.drill ? 1 : 0,
          sms.text,
          decision.admit ? 'queued' : 'suppressed',
          decision.admit ? null : decision.reason,
          decision.admit ? now : null,
          now,
          now,
        );
      return this.get(Number(info.lastInsertRowid));
    })();
  }

  get(id: number): SmsDelivery | undefined {
    const row = this.db.prepare<[number], Row>('SELECT * FROM sms_messages WHERE id = ?').get(id);
    return row === undefined ? undefined : toDelivery(row);
  }

  forAlarm(alarmId: number): SmsDelivery[] {
    return this.db.prepare<[number], Row>('SELECT * FROM sms_messages WHERE alarm_id = ? ORDER BY id').all(alarmId).map(toDelivery);
  }

  /** Queued SMS, the oldest first (a restart resumes them). */
  queued(): QueuedSms[] {
    return this.db
      .prepare<[], Row>("SELECT * FROM sms_messages WHERE state = 'queued' ORDER BY next_attempt_at, id")
      .all()
      .map((r) => ({ id: r.id, phone: r.phone, text: r.text, attempts: r.attempts, nextAttemptAt: r.next_attempt_at ?? r.created_at }));
  }

  countQueued(): number {
    return this.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sms_messages WHERE state = 'queued'").get()!.n;
  }

  countSince(since: number): number {
    return this.db.prepare<[number], { n: number }>("SELECT count(*) AS n FROM sms_messages WHERE created_at >= ? AND state != 'suppressed'").get(since)!.n;
  }

  markSent(id: number, attempts: number, transportId: string, now: number): void {
    this.db
      .prepare("UPDATE sms_messages SET state = 'sent', attempts = ?, transport_id = ?, sent_at = ?, updated_at = ?, next_attempt_at = NULL, error_code = NULL, error = NULL WHERE id = ?")
      .run(attempts, transportId, now, now, id);
  }

  /** A failed try: queued again for `retryAt`, or failed for good when null. */
  markFailure(id: number, attempts: number, errorCode: string, error: string, retryAt: number | null, now: number): void {
    this.db
      .prepare('UPDATE sms_messages SET state = ?, attempts = ?, error_code = ?, error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?')
      .run(retryAt === null ? 'failed' : 'queued', attempts, errorCode, error, retryAt, now, id);
  }

  /** A delivery report for a sent message; returns the row's id when one matched. */
  markDelivery(transportId: string, delivered: boolean, detail: string, now: number): number | undefined {
    const row = this.db.prepare<[string], { id: number }>("SELECT id FROM sms_messages WHERE transport_id = ? AND state = 'sent'").get(transportId);
    if (row === undefined) return undefined;
    if (delivered) this.db.prepare("UPDATE sms_messages SET state = 'delivered', delivered_at = ?, updated_at = ? WHERE id = ?").run(now, now, row.id);
    else this.db.prepare("UPDATE sms_messages SET state = 'failed', error_code = 'not_delivered', error = ?, updated_at = ? WHERE id = ?").run(detail, now, row.id);
    return row.id;
  }
}

function toDelivery(r: Row): SmsDelivery {
  return {
    id: r.id,
    alarmId: r.alarm_id,
    transitionId: r.transition_id,
    personId: r.person_id,
    name: r.person_name,
    phone: r.phone,
    event: r.event,
    drill: r.drill === 1,
    text: r.text,
    state: r.state,
    ...(r.reason === null ? {} : { reason: r.reason }),
    ...(r.error_code === null ? {} : { errorCode: r.error_code }),
    ...(r.error === null ? {} : { error: r.error }),
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(r.sent_at === null ? {} : { sentAt: r.sent_at }),
    ...(r.delivered_at === null ? {} : { deliveredAt: r.delivered_at }),
  };
}
