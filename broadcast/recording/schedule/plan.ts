/**
 * Planning: from the guide, the rules, the operator's entries and the config's padding to the jobs the runner
 * starts and the conflicts it reports. Pure: the same inputs give the same plan, ids included.
 */
import type { RecordingJob } from '../types.js';
import type { ScheduleBook } from './ports.js';
import { ORIGIN_RANK, type Conflict, type GuideRule, type Plan, type PlannedJob, type PlanSettings, type ScheduleChannel, type ScheduleEntry } from './schedule-types.js';
import { entryWishes, guideWishes, type Wish } from './wishes.js';
import type { GuideProgramme } from './xmltv.js';

export const DEFAULT_HORIZON_MS = 8 * 24 * 3_600_000;

export interface PlanInput {
  readonly now: number;
  readonly settings: PlanSettings;
  /** The guide's programmes (none when no guide has been read yet). */
  readonly programmes: readonly GuideProgramme[];
  readonly entries: readonly ScheduleEntry[];
  /** Wish or job ids the operator cancelled (one guide programme, one weekly occurrence). */
  readonly skips?: ReadonlySet<string>;
  /** Ids of jobs recording now: a merge keeps such an id, and such a job wins its input. */
  readonly running?: ReadonlySet<string>;
}

/**
 * How far back wishes that have ended still count. A plan is made of the wishes around now, not only those still to
 * come, so it does not change as they end: a job merged with one that ended keeps its id, and a job dropped for a
 * conflict stays dropped (reported) after the one that kept the input is over, rather than starting half-way.
 */
const LOOKBACK_MS = 24 * 3_600_000;

export function planSchedule(input: PlanInput): Plan {
  const { now, settings } = input;
  const from = now - LOOKBACK_MS;
  const until = now + (settings.horizonMs ?? DEFAULT_HORIZON_MS);
  const channels = new Map(settings.channels.map((c) => [c.id, c]));
  const skips = input.skips ?? new Set<string>();
  const running = input.running ?? new Set<string>();
  const wishes = [...guideWishes(input.programmes, settings.channels, settings.rules, settings.timeZone), ...entryWishes(input.entries, from, until, settings.timeZone)]
    .filter((w) => channels.has(w.channelId) && !skips.has(w.id))
    .map((w) => pad(w, settings))
    .filter((w) => w.endAt > from && w.startAt < until);
  const merged = mergePerChannel(wishes, running);
  const { kept, conflicts } = resolveInputs(merged, channels, running);
  return { at: now, jobs: kept.filter((j) => j.endAt > now).sort(byStart), conflicts: conflicts.filter((c) => c.dropped.endAt > now) };
}

function pad(w: Wish, s: PlanSettings): Wish {
  return w.padded ? { ...w, startAt: w.startAt - s.paddingBeforeMs, endAt: w.endAt + s.paddingAfterMs } : w;
}

const byStart = (a: { startAt: number; id: string }, b: { startAt: number; id: string }): number => a.startAt - b.startAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One recording per channel at a time: wishes of one channel that overlap (padding included, e.g. two programmes back
 * to back) become one job from the first start to the last end. It keeps the id of a part that is recording now, else
 * of its earliest part, so a re-plan that adds a later part never restarts it.
 */
function mergePerChannel(wishes: readonly Wish[], running: ReadonlySet<string>): PlannedJob[] {
  const byChannel = new Map<string, Wish[]>();
  for (const w of wishes) byChannel.set(w.channelId, [...(byChannel.get(w.channelId) ?? []), w]);
  const jobs: PlannedJob[] = [];
  for (const list of byChannel.values()) {
    let group: Wish[] = [];
    let groupEnd = -Infinity;
    for (const w of [...list].sort(byStart)) {
      if (group.length > 0 && w.startAt >= groupEnd) {
        jobs.push(jobOf(group, running));
        group = [];
      }
      group.push(w);
      groupEnd = Math.max(groupEnd, w.endAt);
    }
    if (group.length > 0) jobs.push(jobOf(group, running));
  }
  return jobs;
}

function jobOf(group: readonly Wish[], running: ReadonlySet<string>): PlannedJob {
  const lead = group.find((w) => running.has(w.id)) ?? [...group].sort((a, b) => a.startAt - b.startAt || ORIGIN_RANK[a.origin] - ORIGIN_RANK[b.origin] || (a.id < b.id ? -1 : 1))[0]!;
  const titles = [...new Set(group.map((w) => w.title))];
  return {
    id: lead.id,
    channelId: lead.channelId,
    title: titles.join(' / '),
    startAt: Math.min(...group.map((w) => w.startAt)),
    endAt: Math.max(...group.map((w) => w.endAt)),
    origin: lead.origin,
    parts: group.map((w) => w.id),
  };
}

/**
 * One input, one channel at a time: of two jobs on different channels that need the same input (`sourceKey`) and
 * overlap, the one recording now, else the earlier, else the operator's latest word (now > manual > weekly > guide)
 * keeps it; the other is dropped whole and reported with the one that kept the input.
 */
function resolveInputs(jobs: readonly PlannedJob[], channels: ReadonlyMap<string, ScheduleChannel>, running: ReadonlySet<string>): { kept: PlannedJob[]; conflicts: Conflict[] } {
  const order = [...jobs].sort(
    (a, b) => Number(running.has(b.id)) - Number(running.has(a.id)) || a.startAt - b.startAt || ORIGIN_RANK[a.origin] - ORIGIN_RANK[b.origin] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const kept: PlannedJob[] = [];
  const conflicts: Conflict[] = [];
  for (const job of order) {
    const key = channels.get(job.channelId)!.sourceKey;
    const clash = kept.find((k) => channels.get(k.channelId)!.sourceKey === key && k.channelId !== job.channelId && overlaps(k, job));
    if (clash === undefined) kept.push(job);
    else conflicts.push({ id: `${clash.id}~${job.id}`, sourceKey: key, kept: clash, dropped: job, from: Math.max(clash.startAt, job.startAt), to: Math.min(clash.endAt, job.endAt) });
  }
  return { kept, conflicts: conflicts.sort((a, b) => a.from - b.from || (a.id < b.id ? -1 : 1)) };
}

function overlaps(a: RecordingJob, b: RecordingJob): boolean {
  return a.startAt < b.endAt && b.startAt < a.endAt;
}

/** The rule list's channels that the channel list lacks (for config checks and logs). */
export function unknownRuleChannels(rules: readonly GuideRule[], channels: readonly ScheduleChannel[]): string[] {
  const ids = new Set(channels.map((c) => c.id));
  return [...new Set(rules.map((r) => r.channel).filter((c) => !ids.has(c)))];
}

/** The runner's `plan` function over a book of wishes: reads the book afresh at every re-plan. */
export function planFrom(book: ScheduleBook, settings: () => PlanSettings): (now: number, running: ReadonlySet<string>) => Plan {
  return (now, running) => planSchedule({ now, settings: settings(), programmes: book.programmes(), entries: book.entries(), skips: book.skips(), running });
}
