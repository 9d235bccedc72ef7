import { formatAge, formatWhen, metres } from '../../../../web-ui/src/format.js';
import { t } from '../text.js';
import type { BoxHealth, BoxOverview } from '../types.js';

/** What the boxes list and a box's page show of one box: from the hub's record of it and its latest health. */
export interface BoxFacts {
  readonly health: BoxHealth | undefined;
  /** e.g. `08:15（3 分钟前）`, or 从未. */
  readonly lastContact: string;
  readonly linkState: string | undefined;
  readonly backlogRecords: number | undefined;
  readonly levels: readonly { readonly sensor: string; readonly value: string }[];
}

export function boxFacts(box: BoxOverview, now: number): BoxFacts {
  const health = (box.latestHealth?.body ?? undefined) as BoxHealth | undefined;
  const sync = health?.sync;
  const lanes = sync === undefined ? undefined : [sync.backlog.alarm, sync.backlog.health, sync.backlog.readings, sync.backlog.bulk];
  return {
    health,
    lastContact: box.lastContactAt === null ? t('never') : `${formatWhen(box.lastContactAt, now)}（${t('ago', { age: formatAge(now - box.lastContactAt) })}）`,
    linkState: sync?.state,
    backlogRecords: lanes === undefined ? undefined : lanes.reduce((n, l) => n + l.records, 0),
    levels: (health?.sensors ?? []).map((s) => ({ sensor: s.name ?? s.id, value: s.lastReading === undefined ? '—' : metres(s.lastReading.value) })),
  };
}

export function linkClass(state: string | undefined): string {
  return state === 'up' ? 'link-up' : state === 'down' || state === undefined ? 'link-down' : 'link-other';
}
