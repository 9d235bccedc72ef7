import { z } from 'zod';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../../node-daemon/sync/outbox/box-id.js';
import { FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT } from '../../node-daemon/http/schemas/sync.js';

/**
 * Hub config `pull:`, the boxes the hub reads (docs/sync.md "Pull"). Pure: the token file is read by pull-tokens.ts.
 *
 *     pull:
 *       - box: qingshui-01                 # the box's id at the hub (enrolled)
 *         url: http://10.8.0.21:8080       # the box's API origin
 *         tokenFile: /etc/fenghuo/qingshui-01.token   # its bearer token (the box lists its id in sync.feedTokens); mode 0600
 *         intervalS: 60                    # a round this often (default 60)
 */

const TOKEN = /^[\x21-\x7e]{1,4096}$/;
const TOKEN_RULE = 'a bearer token: 1 to 4096 visible ASCII characters, no spaces';

function isHttpOrigin(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '';
  } catch {
    return false;
  }
}

export const pullTargetSchema = z
  .strictObject({
    box: z.string().regex(BOX_ID_PATTERN, BOX_ID_RULE).describe('the box\'s id at this hub (it must be enrolled)'),
    url: z
      .string()
      .superRefine((text, ctx) => {
        if (!isHttpOrigin(text)) ctx.addIssue({ code: 'custom', message: 'must be the box\'s http(s) API address, e.g. http://10.8.0.21:8080', params: { expected: 'an http(s) URL' } });
      })
      .describe('the box\'s API address, e.g. http://10.8.0.21:8080 (the feed is <url>/api/v1/sync/feed)'),
    token: z.string().regex(TOKEN, TOKEN_RULE).optional().describe('the box\'s bearer token written here (prefer tokenFile: the config file is then a secret)'),
    tokenFile: z.string().min(1).optional().describe('a file holding the box\'s bearer token (mode 0600, owner only)'),
    intervalS: z.int().min(1).max(86_400).default(60).describe('seconds between rounds while the box answers'),
    limit: z.int().min(1).max(FEED_MAX_LIMIT).default(FEED_DEFAULT_LIMIT).describe('records per feed page'),
    timeoutS: z.int().min(1).max(600).default(30).describe('seconds one feed request may take'),
    maxBackoffS: z.int().min(1).max(86_400).default(600).describe('the longest wait after failures (exponential from 2 s, full jitter)'),
    pagesPerRound: z.int().min(1).max(10_000).default(50).describe('pages one round reads at most; a backlog left goes on in the next round, at once'),
  })
  .superRefine((t, ctx) => {
    const given = [t.token, t.tokenFile].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given === 0 ? ['tokenFile'] : ['token'],
        message: given === 0 ? 'give tokenFile: FILE (or token: TOKEN): the box\'s feed needs a bearer token' : 'give token: or tokenFile:, not both',
        params: { expected: 'tokenFile: FILE or token: TOKEN' },
      });
    }
  })
  .describe('a box this hub pulls records from');

export const pullConfigSchema = z
  .array(pullTargetSchema)
  .superRefine((targets, ctx) => {
    const seen = new Map<string, number>();
    targets.forEach((t, i) => {
      const first = seen.get(t.box);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'box'], message: `box ${t.box} is pulled twice (also pull[${first}])` });
      else seen.set(t.box, i);
    });
  })
  .default([])
  .describe('boxes the hub pulls records from (GET /api/v1/sync/feed on the box); push needs nothing here');

/** One pull target, resolved: `token` from the file once loaded (pull-tokens.ts). Never logged. */
export interface PullTarget {
  readonly box: string;
  /** Without a trailing slash. */
  readonly url: string;
  readonly token?: string;
  /** Absolute. */
  readonly tokenFile?: string;
  readonly intervalMs: number;
  readonly limit: number;
  readonly timeoutMs: number;
  readonly maxBackoffMs: number;
  readonly pagesPerRound: number;
}

export function resolvePullTargets(targets: z.output<typeof pullConfigSchema>, resolvePath: (p: string) => string): PullTarget[] {
  return targets.map((t) => ({
    box: t.box,
    url: t.url.replace(/\/+$/, ''),
    ...(t.token === undefined ? {} : { token: t.token }),
    ...(t.tokenFile === undefined ? {} : { tokenFile: resolvePath(t.tokenFile) }),
    intervalMs: t.intervalS * 1000,
    limit: t.limit,
    timeoutMs: t.timeoutS * 1000,
    maxBackoffMs: t.maxBackoffS * 1000,
    pagesPerRound: t.pagesPerRound,
  }));
}
