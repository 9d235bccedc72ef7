import { z } from 'zod';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../../node-daemon/sync/outbox/box-id.js';
import { LANE_KINDS, LANES, type IngestLane, type Lane, type RecordKind } from '../store/types.js';

/**
 * The body of `POST /api/v1/sync/ingest` (docs/sync.md, "Push"), checked before anything reaches the store: the
 * envelope and the records strictly (the store trusts its caller), the payloads' inner objects loosely (a newer box
 * may say more; what it says is kept as sent). Free of I/O.
 */

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const seq = z.int().min(1).max(MAX_SEQ);
const ts = z.int();
const shortText = z.string().min(1).max(200);
const missing = z.int().min(1).optional();

const readingTuple = z.tuple([z.int(), shortText, z.int(), z.number().nullable(), z.string().min(1).max(64)]);
const aggregateTuple = z.tuple([shortText, z.int(), z.number(), z.number(), z.number(), z.int().min(0)]);

const optionalText = z.string().max(10_000).nullable().optional();

const alarmSchema = z.looseObject({
  id: z.int(),
  key: z.string().max(500),
  kind: z.string().max(100),
  siteId: optionalText,
  sensorId: optionalText,
  drill: z.boolean(),
  title: z.string().max(10_000),
  raisedAt: z.int(),
});

const transitionSchema = z.looseObject({
  id: z.int(),
  ts: z.int(),
  type: z.string().min(1).max(100),
  level: z.string().max(100).nullable(),
  by: optionalText,
  account: optionalText,
  note: optionalText,
  cause: z.unknown().optional(),
});

/** An alarm whose rows the box lost: the change-log reference (ids 0 and type '' when even that did not parse). */
const missingAlarmSchema = z.strictObject({
  alarmId: z.int().min(0),
  transitionId: z.int().min(0),
  type: z.string().max(100),
  missing: z.literal(true),
});

const alarmPayloadSchema = z.union([z.strictObject({ alarm: alarmSchema, transition: transitionSchema }), missingAlarmSchema]);

const recordSchema = z.discriminatedUnion('kind', [
  z.strictObject({ seq, kind: z.literal('alarm'), ts, payload: alarmPayloadSchema }),
  z.strictObject({ seq, kind: z.literal('health'), ts, payload: z.record(z.string(), z.unknown()) }),
  z.strictObject({ seq, kind: z.literal('readings'), ts, payload: z.strictObject({ readings: z.array(readingTuple), missing }) }),
  z.strictObject({ seq, kind: z.literal('aggregates'), ts, payload: z.strictObject({ aggregates: z.array(aggregateTuple), missing }) }),
  z.strictObject({ seq, kind: z.literal('audit'), ts, payload: z.looseObject({ section: z.string().min(1).max(200) }) }),
]);

const laneSchema = z
  .strictObject({
    lane: z.enum(LANES),
    after: z.int().min(0).max(MAX_SEQ),
    records: z.array(recordSchema),
  })
  .superRefine((l, ctx) => {
    const allowed = LANE_KINDS[l.lane as Lane] as readonly RecordKind[];
    l.records.forEach((r, i) => {
      if (!allowed.includes(r.kind)) {
        ctx.addIssue({ code: 'custom', path: ['records', i, 'kind'], message: `lane ${l.lane} carries ${allowed.join(', ')}, not ${r.kind}` });
      }
    });
  });

export const ingestBodySchema = z
  .strictObject({
    box: z.string().regex(BOX_ID_PATTERN, BOX_ID_RULE),
    dbId: z.string().min(1).max(128).optional(),
    batch: z.int().min(0).optional(),
    lanes: z.array(laneSchema).max(LANES.length),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.lanes.forEach((l, i) => {
      if (seen.has(l.lane)) ctx.addIssue({ code: 'custom', path: ['lanes', i, 'lane'], message: `lane ${l.lane} is given twice` });
      seen.add(l.lane);
    });
  });

export type IngestBody = z.output<typeof ingestBodySchema>;

export type BodyCheck =
  | { readonly ok: true; readonly body: IngestBody; readonly lanes: readonly IngestLane[] }
  | { readonly ok: false; readonly message: string; readonly param?: string };

/** JSON text → the checked body; the first problem named with its key path (`lanes.0.records.3.seq`). */
export function checkIngestBody(text: string): BodyCheck {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the body is not JSON' };
  }
  const parsed = ingestBodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = closest(parsed.error.issues[0]);
    if (issue === undefined) return { ok: false, message: 'invalid body' };
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const param = path.map(String).join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys[0] ?? ''}` : issue.message;
    return param === '' ? { ok: false, message } : { ok: false, message: `${param}: ${message}`, param };
  }
  return { ok: true, body: parsed.data, lanes: parsed.data.lanes };
}

type Issue = z.core.$ZodIssue;

/**
 * A union (the alarm payload, full or `missing`) that matched no branch names the problem of the branch the input
 * came closest to (fewest issues, then the deepest path), with the union's own path in front.
 */
function closest(issue: Issue | undefined): Issue | undefined {
  if (issue?.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue[] | undefined;
  const depth = (b: Issue[]): number => b[0]?.path.length ?? 0;
  for (const branch of issue.errors) {
    if (branch.length === 0) continue;
    if (best === undefined || branch.length < best.length || (branch.length === best.length && depth(branch) > depth(best))) best = branch;
  }
  const inner = best?.[0];
  return inner === undefined ? issue : closest({ ...inner, path: [...issue.path, ...inner.path] } as Issue);
}
