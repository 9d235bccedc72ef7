import type { FaultKind } from '../rules/events.js';
import type { AlarmLevel } from '../types.js';

export const LEVEL_TITLE: Readonly<Record<AlarmLevel, string>> = { prepare: '准备转移', evacuate: '立即转移' };

export const FAULT_TITLE: Readonly<Record<FaultKind, string>> = {
  comm_lost: '通信中断',
  stuck: '数值卡死',
  jump: '数值突变',
  out_of_range: '超出量程',
};

/** 「清水河站 立即转移」 */
export function floodTitle(siteName: string, level: AlarmLevel): string {
  return `${siteName} ${LEVEL_TITLE[level]}`;
}

/** 「清水河上游水位计 通信中断」 */
export function faultTitle(sensorName: string, fault: FaultKind): string {
  return `${sensorName} ${FAULT_TITLE[fault]}`;
}
