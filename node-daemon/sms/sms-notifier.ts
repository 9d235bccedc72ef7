import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { DeliveryOutcome } from '../../drivers/sms/delivery-tracker.js';
import type { SmsTransport } from '../../drivers/sms/transport.js';
import type { AlarmSiteConfig } from '../alarms/rules/schema.js';
import type { AlarmService } from '../alarms/store/alarm-service.js';
import type { AlarmEvent, EventHub } from '../core/events.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import { OutputFaults } from '../dispatch/output-faults.js';
import type { Db } from '../storage/database.js';
import type { SmsConfig } from './config-schema.js';
import { isTransportFailure, nextAttemptAt, recipientsFor, renderSms, sitesOf, smsEventOf, startOfLocalDay, type SmsFailure } from './sms-plan.js';
import { SmsStore, type QueuedSms } from './sms-store.js';
import type { SmsDelivery, SmsHealth, SmsTransportKind } from './sms-types.js';

export type { SmsHealth, SmsTransportKind } from './sms-types.js';

/** The output id of SMS in `output_fault:<id>` alarms. */
export const SMS_OUTPUT_ID = 'sms';

export interface SmsNotifierOptions {
  readonly config: SmsConfig;
  readonly transport: SmsTransport;
  readonly transportKind: SmsTransportKind;
  /** The alarm sites as in effect now (they change through the settings API). */
  readonly sites: () => readonly AlarmSiteConfig[];
  readonly sensorNames?: Readonly<Record<string, string>>;
  readonly timeZone: string;
  readonly db: Db;
  readonly hub: Pick<EventHub, 'alarm$'>;
  readonly alarms: AlarmService;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often the transport's status is asked (a modem without SIM or network is an output fault). Default 60 s. */
  readonly statusCheckMs?: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Warning SMS to the people responsible for a site: every alarm transition worth one is planned (recipients of the
 * site's notify groups, text, rate limit, daily cap) and stored, then sent from its own queue, never on the dispatch
 * path. One row per (alarm, transition, number) so nothing is sent twice, even across a restart; transient errors are
 * tried again with backoff; a transport that keeps failing (or reports itself not ready) raises `output_fault:sms`.
 */
export class SmsNotifier implements Module {
  readonly name = 'sms';
  private readonly store: SmsStore;
  private readonly faults: OutputFaults;
  private running = false;
  private sub: Subscription | undefined;
  private offDelivery: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private consecutiveFailures = 0;
  private ready = false;
  private lastError: string | undefined;
  private lastSentAt: number | undefined;
  /** The fault was raised by a status check (cleared by the next ready one), not only by failed sends. */
  private faultFromStatus = false;

  constructor(private readonly opts: SmsNotifierOptions) {
    this.store = new SmsStore(opts.db);
    this.faults = new OutputFaults(opts.alarms, opts.log);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.faults.adoptOpen();
    // Fire and forget: the alarm event is taken after the dispatcher had it, and planned on a later turn.
    this.sub = this.opts.hub.alarm$.subscribe((ev) => setImmediate(() => this.plan(ev)));
    this.offDelivery = this.opts.transport.onDelivery((o) => this.onDelivery(o));
    this.statusTimer = setInterval(() => void this.checkStatus(), this.opts.statusCheckMs ?? 60_000);
    void this.checkStatus();
    this.opts.log.info({ event: 'sms.started', transport: this.opts.transportKind, people: this.opts.config.people.length, queued: this.store.countQueued() }, 'SMS started');
    this.kick();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.sub?.unsubscribe();
    this.offDelivery?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    // Closing ends a send in flight (a hung modem would hold it for its submit timeout); that SMS stays queued.
    await this.opts.transport.close();
    await this.draining;
    this.opts.log.info({ event: 'sms.stopped' }, 'SMS stopped');
  }

  /** The SMS of an alarm, every recipient's state, for the alarm's history. */
  deliveries(alarmId: number): SmsDelivery[] {
    return this.store.forAlarm(alarmId);
  }

  health(): SmsHealth {
    const now = this.opts.clock();
    return {
      transport: this.opts.transportKind,
      ready: this.ready,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      consecutiveFailures: this.consecutiveFailures,
      queued: this.store.countQueued(),
      sentToday: this.store.countSince(startOfLocalDay(now, this.opts.timeZone)),
      dailyCap: this.opts.config.dailyCap,
      fault: this.faults.isOpen(SMS_OUTPUT_ID),
      ...(this.lastSentAt === undefined ? {} : { lastSentAt: this.lastSentAt }),
    };
  }

  // ---- planning ----

  private plan({ alarm, transition }: AlarmEvent): void {
    if (!this.running) return;
    try {
      const event = smsEventOf(alarm, transition);
      if (event === null) return;
      const sites = sitesOf(alarm, this.opts.sites());
      const { recipients, unknownGroups } = recipientsFor(event, sites, this.opts.config);
      if (unknownGroups.length > 0) this.opts.log.warn({ event: 'sms.unknown_groups', groups: unknownGroups, alarmId: alarm.id }, 'notify names SMS groups that do not exist');
      if (recipients.length === 0) return;
      const site = sites.length === 1 ? sites[0] : undefined;
      const sensorName = alarm.sensorId === undefined ? undefined : (this.opts.sensorNames?.[alarm.sensorId] ?? alarm.sensorId);
      const text = renderSms(this.opts.config.templates, {
        event,
        alarm,
        transition,
        ...(site === undefined ? {} : { site }),
        siteName: site === undefined ? undefined : (site.name ?? site.id),
        ...(sensorName === undefined ? {} : { sensorName }),
        timeZone: this.opts.timeZone,
      });
      const now = this.opts.clock();
      const dayStart = startOfLocalDay(now, this.opts.timeZone);
      for (const recipient of recipients) {
        const row = this.store.enqueue({ alarmId: alarm.id, transitionId: transition.id, recipient, event, drill: alarm.drill, text }, now, this.opts.config, dayStart);
        if (row === undefined) continue;
        const fields = { smsId: row.id, alarmId: alarm.id, transitionId: transition.id, person: recipient.personId, phone: recipient.phone, kind: event, drill: alarm.drill };
        if (row.state === 'suppressed') this.opts.log.warn({ event: 'sms.suppressed', ...fields, reason: row.reason }, 'SMS suppressed');
        else this.opts.log.info({ event: 'sms.queued', ...fields, text }, 'SMS queued');
      }
      this.kick();
    } catch (err) {
      this.opts.log.error({ event: 'sms.plan_failed', alarmId: alarm.id, transitionId: transition.id, err: message(err) }, 'could not plan the SMS of an alarm transition');
    }
  }

  // ---- sending ----

  private kick(): void {
    if (!this.running) return;
    if (this.draining !== undefined) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.drainAgain) {
        this.drainAgain = false;
        this.kick();
      }
    });
  }

  private async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) {
      const queued = this.store.queued();
      const now = this.opts.clock();
      const due = queued.find((q) => q.nextAttemptAt <= now);
      if (due === undefined) {
        const next = queued.reduce((min, q) => Math.min(min, q.nextAttemptAt), Infinity);
        if (Number.isFinite(next)) this.timer = setTimeout(() => this.kick(), Math.max(10, next - now));
        return;
      }
      await this.sendOne(due);
    }
  }

  private async sendOne(q: QueuedSms): Promise<void> {
    const attempt = q.attempts + 1;
    const requestReport = this.opts.transportKind === 'modem' && this.opts.config.requestReports;
    let failure: SmsFailure & { readonly message: string };
    try {
      const r = await this.opts.transport.send(q.phone, q.text, { requestReport });
      const now = this.opts.clock();
      if (r.ok) {
        this.store.markSent(q.id, attempt, r.messageId, now);
        this.consecutiveFailures = 0;
        this.ready = true;
        this.lastError = undefined;
        this.lastSentAt = now;
        this.faultFromStatus = false;
        this.faults.clear(SMS_OUTPUT_ID, `SMS sent to ${q.phone}`);
        this.opts.log.info({ event: 'sms.sent', smsId: q.id, phone: q.phone, attempt, messageId: r.messageId, encoding: r.encoding, parts: r.references.length }, 'SMS sent');
        return;
      }
      if (!this.running) return; // cut short by stop(): left queued for the next start
      failure = { code: r.error.code, kind: r.error.kind, message: `${r.error.message}${r.partsSent > 0 ? ` (${r.partsSent} of ${r.partsTotal} parts went out)` : ''}` };
    } catch (err) {
      if (!this.running) return;
      failure = { code: 'exception', kind: 'modem', message: message(err) };
    }
    const now = this.opts.clock();
    const retryAt = nextAttemptAt(now, attempt, failure, this.opts.config.retry);
    this.store.markFailure(q.id, attempt, failure.code, failure.message, retryAt, now);
    const fields = { smsId: q.id, phone: q.phone, attempt, code: failure.code, kind: failure.kind, err: failure.message };
    if (retryAt === null) this.opts.log.warn({ event: 'sms.failed', ...fields }, 'SMS failed');
    else this.opts.log.warn({ event: 'sms.retry', ...fields, retryInMs: retryAt - now }, 'SMS try failed; will try again');
    if (isTransportFailure(failure)) {
      this.consecutiveFailures += 1;
      this.lastError = `${failure.code}: ${failure.message}`;
      if (this.consecutiveFailures >= this.opts.config.faultAfterFailures) {
        this.ready = false;
        this.raiseFault(`${this.consecutiveFailures} SMS tries failed in a row, the last: ${this.lastError}`);
      }
    }
  }

  private raiseFault(detail: string): void {
    this.faults.raise(SMS_OUTPUT_ID, this.opts.transportKind === 'modem' ? '短信猫 无法发送' : '短信平台 无法发送', `SMS (${this.opts.transportKind}): ${detail}`);
  }

  private async checkStatus(): Promise<void> {
    if (!this.running) return;
    try {
      const st = await this.opts.transport.status();
      if (!this.running) return;
      if (st.ready) {
        this.ready = this.consecutiveFailures < this.opts.config.faultAfterFailures;
        if (this.faultFromStatus) {
          this.faultFromStatus = false;
          this.faults.clear(SMS_OUTPUT_ID, 'SMS transport ready again');
        }
      } else if (st.lastError !== undefined) {
        this.ready = false;
        this.lastError = `${st.lastError.code}: ${st.lastError.message}`;
        if (!this.faults.isOpen(SMS_OUTPUT_ID)) this.faultFromStatus = true;
        this.raiseFault(`not ready: ${this.lastError}`);
      }
    } catch (err) {
      this.opts.log.warn({ event: 'sms.status_failed', err: message(err) }, 'could not read the SMS transport status');
    }
  }

  private onDelivery(o: DeliveryOutcome): void {
    try {
      const id = this.store.markDelivery(o.messageId, o.state === 'delivered', `delivery report: ${o.state} (TP-ST ${o.statuses.join(',')})`, this.opts.clock());
      if (id !== undefined) this.opts.log.info({ event: 'sms.delivery', smsId: id, messageId: o.messageId, state: o.state }, `SMS ${o.state}`);
    } catch (err) {
      this.opts.log.error({ event: 'sms.delivery_not_recorded', messageId: o.messageId, err: message(err) }, 'could not record a delivery report');
    }
  }
}
