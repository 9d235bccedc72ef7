/**
 * `county_alarm` and `county_clear` orders: the same county-alarm path as POST /api/v1/alarms/county
 * (alarms/county-alarm.ts), so the alarm sounds on the loudspeakers and shows on the LED boards through the
 * dispatcher like any other. The transition records `by` = who at the county issued it, `account` = `county`.
 */
import { clearCountyAlarm, raiseCountyAlarm } from '../../alarms/county-alarm.js';
import type { Actor } from '../../alarms/store/alarm-requests.js';
import type { AlarmService } from '../../alarms/store/alarm-service.js';
import type { OrderOf } from '../protocol/order-schema.js';
import type { OrderHandler } from './handler.js';

/** The account an order's changes are recorded under: the county (its signature is the credential). */
export const COUNTY_ACCOUNT = 'county';

function countyActor(by: string): Actor {
  return { account: COUNTY_ACCOUNT, by };
}

export function countyAlarmHandler(alarms: AlarmService): OrderHandler<'county_alarm'> {
  return async (order: OrderOf<'county_alarm'>) => {
    const b = order.body;
    const change = raiseCountyAlarm(
      alarms,
      { alertId: b.alertId, level: b.level, title: b.title, issuedAt: order.issuedAt, ...(b.drill === undefined ? {} : { drill: b.drill }), ...(b.message === undefined ? {} : { message: b.message }) },
      countyActor(order.by),
    );
    if (!change.changed) return { status: 'applied', detail: `alarm ${change.alarm.id} (${change.alarm.key}) already ${change.alarm.state} at this level` };
    return { status: 'applied', detail: `alarm ${change.alarm.id} (${change.alarm.key}) ${change.transition.type} ${change.transition.level ?? ''}`.trim() };
  };
}

export function countyClearHandler(alarms: AlarmService): OrderHandler<'county_clear'> {
  return async (order: OrderOf<'county_clear'>) => {
    const change = clearCountyAlarm(alarms, order.body.alertId, countyActor(order.by), order.body.note);
    if (change === null) return { status: 'applied', detail: `no open county alarm ${order.body.alertId}: nothing to clear` };
    return { status: 'applied', detail: `alarm ${change.alarm.id} (${change.alarm.key}) cleared` };
  };
}
