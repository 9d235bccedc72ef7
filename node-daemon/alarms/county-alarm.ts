/**
 * A county alarm on this box, whichever way it came: `POST /api/v1/alarms/county` (the county's software with an API
 * token) or a signed `county_alarm` / `county_clear` order from the hub (sync/orders). One key per county alert,
 * `county:<alertId>`, so both ways are the same alarm, and the same idempotency: raising an id again changes nothing
 * (even after it was cleared), except that a new level escalates or de-escalates the open alarm.
 */
import type { Actor, AlarmChange } from './store/alarm-requests.js';
import type { AlarmService } from './store/alarm-service.js';
import type { AlarmLevel } from './types.js';

export interface CountyAlarm {
  /** The county's alert id. */
  readonly alertId: string;
  readonly level: AlarmLevel;
  readonly title: string;
  readonly message?: string;
  readonly drill?: boolean;
  /** When the county issued it (UTC ms). */
  readonly issuedAt: number;
}

export function countyAlarmKey(alertId: string): string {
  return `county:${alertId}`;
}

/** Raises (or re-levels) the county alarm; a cleared one is never raised again under the same id. */
export function raiseCountyAlarm(alarms: AlarmService, a: CountyAlarm, who: Actor): AlarmChange {
  const key = countyAlarmKey(a.alertId);
  // Idempotent on the county's id: a retried post after the alert was cleared must not sound it again.
  const previous = alarms.findByKey(key);
  if (previous?.state === 'cleared') return { changed: false, alarm: previous };
  return alarms.raise({
    key,
    kind: 'county',
    level: a.level,
    drill: a.drill ?? false,
    title: a.title,
    cause: { rule: 'county', detail: `county alert ${a.alertId} issued ${new Date(a.issuedAt).toISOString()}` },
    ...who,
    ...(a.message === undefined ? {} : { note: a.message }),
  });
}

/** Clears the county alarm of that alert id; null when none is open (never raised, or cleared already). */
export function clearCountyAlarm(alarms: AlarmService, alertId: string, who: Actor, note?: string): AlarmChange | null {
  return alarms.clear({ key: countyAlarmKey(alertId) }, { rule: 'county' }, { ...who, ...(note === undefined ? {} : { note }) });
}
