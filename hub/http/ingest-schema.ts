import { z } from 'zod';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../../node-daemon/sync/outbox/box-id.js';
import { MAX_SEQ, syncRecordSchema } from '../../node-daemon/sync/protocol/records-schema.js';
import { LANE_KINDS, LANES, type IngestLane, type Lane, type RecordKind } from '../store/types.js';

/**
 * The body of `POST /api/v1/sync/ingest` (docs/sync.md, "Push"), checked before anything reaches the store: the
 * envelope and the records strictly (the store trusts its caller), the payloads' inner objects loosely (a newer box
 * may say more; what it says is kept as sent). The records are the protocol's (node-daemon/sync/protocol/
 * records-schema.ts); the envelope and the lane rules are here. Free of I/O.
 */

const laneSchema = z
  .strictObject({
    lane: z.enum(LANES),
    after: z.int().min(0).max(MAX_SEQ),
    records: z.array(syncRecordSchema),
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
