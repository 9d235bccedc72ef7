import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { LISTEN_EXPECTED, parseListen } from '../node-daemon/config/listen.js';
import { makeProblem, type ConfigProblem } from '../node-daemon/config/problem.js';
import { parseYamlSource } from '../node-daemon/config/yaml-source.js';
import { problemsFromZodIssues } from '../node-daemon/config/zod-problems.js';
import { DEFAULT_LIMITS, type HubLimits } from './http/deps.js';
import { isOrigin } from './http/request-url.js';
import type { HubStoreConfig } from './store/open.js';
import { capConfigSchema, type HubCapConfig } from './cap/cap-config.js';
import { pullConfigSchema, resolvePullTargets, type PullTarget } from './pull/pull-config.js';
import { readPullTokens } from './pull/pull-tokens.js';
import { DEFAULT_BACKUP_MAX_BYTES, DEFAULT_BACKUPS_KEEP } from './backups/receiver.js';
import { DEFAULT_IMAGES_KEEP_DAYS } from './images/receiver.js';

/**
 * The hub's YAML configuration (`fenghuo hub --config FILE`). Every key is optional; without a file the hub runs on
 * the defaults (loopback, SQLite in ./hub-data). Relative paths are taken from the working directory, like the box's
 * `--data`. Problems are reported as the box's are (node-daemon/config/format-problems.ts): the exact key, why, and
 * the line, and the hub does not start (exit 2).
 *
 *     listen: 0.0.0.0:8470              # HOST:PORT the hub listens on (default 127.0.0.1:8470)
 *     publicOrigin: https://hub.example # the origin boxes address, when a proxy in front rewrites Host
 *     dataDir: ./hub-data               # default ./hub-data
 *     store:
 *       sqlite: ./hub-data/hub.db       # the default; or
 *       # postgres: postgres://fenghuo@db.example:5432/fenghuo
 *     countyKey: ./hub-data/county.key  # made on first start (mode 0600); default <dataDir>/county.key
 *     countyKeyId: county-2025          # default county-<first 8 hex digits of its fingerprint>
 *     readTokenSha256: 64 hex digits    # SHA-256 of a bearer token for GET /api/v1/boxes; without it loopback only
 *     limits:
 *       maxBodyBytes: 1048576           # ingest body as sent (compressed)
 *       maxDecompressedBytes: 16777216  # ingest body decompressed
 *       maxContentBytes: 268435456      # a published content file (stored under <dataDir>/content/)
 *     cap: { sender, senderCode, senderName, areaDesc, areas, geocode, timeZone }   # the CAP feed (hub/cap/cap-config.ts)
 *     pull: [{ box, url, tokenFile | token, intervalS, limit, timeoutS, maxBackoffS }]  # boxes pulled (hub/pull/pull-config.ts)
 *     backups:                          # the boxes' backups sent through the sync link (under <dataDir>/backups/)
 *       keep: 3                         # complete backups kept per box
 *       maxBytes: 2147483648            # the largest backup taken
 *     images:                           # the boxes' camera pictures sent through the sync link (under <dataDir>/images/)
 *       keepDays: 180                   # pictures are removed this many days after they arrived
 */

export const DEFAULT_HUB_LISTEN = '127.0.0.1:8470';
export const DEFAULT_HUB_DATA_DIR = './hub-data';

const listen = z.string().superRefine((text, ctx) => {
  const parsed = parseListen(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.reason}; expected ${LISTEN_EXPECTED}`, params: { expected: LISTEN_EXPECTED } });
});

const POSTGRES_EXPECTED = 'a PostgreSQL connection string, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE';

function isPostgresUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export const hubConfigSchema = z
  .strictObject({
    listen: listen.default(DEFAULT_HUB_LISTEN).describe('HOST:PORT the hub listens on'),
    publicOrigin: z
      .string()
      .superRefine((text, ctx) => {
        if (!isOrigin(text)) ctx.addIssue({ code: 'custom', message: 'must be an http(s) origin without a path, e.g. https://hub.example', params: { expected: 'an origin' } });
      })
      .optional()
      .describe('the origin boxes address (signatures cover it), when a proxy in front rewrites Host'),
    dataDir: z.string().min(1).default(DEFAULT_HUB_DATA_DIR).describe('the hub\'s directory: the SQLite file and the county key by default'),
    store: z
      .strictObject({
        sqlite: z.string().min(1).optional().describe('the SQLite database file'),
        postgres: z
          .string()
          // Custom, so that the message never quotes the value: it may hold a password.
          .superRefine((text, ctx) => {
            if (!isPostgresUrl(text)) ctx.addIssue({ code: 'custom', message: `is not ${POSTGRES_EXPECTED}`, params: { expected: POSTGRES_EXPECTED } });
          })
          .optional()
          .describe(POSTGRES_EXPECTED),
      })
      .superRefine((s, ctx) => {
        const given = [s.sqlite, s.postgres].filter((v) => v !== undefined).length;
        if (given !== 1) {
          ctx.addIssue({
            code: 'custom',
            message: given === 0 ? 'give one of sqlite: PATH or postgres: CONNECTION_STRING' : 'give sqlite: or postgres:, not both',
            params: { expected: 'sqlite: PATH or postgres: CONNECTION_STRING' },
          });
        }
      })
      .optional()
      .describe('where the hub keeps its data; default sqlite: <dataDir>/hub.db'),
    countyKey: z.string().min(1).optional().describe('the county\'s Ed25519 private key file (PKCS#8 PEM, 0600), made on first start'),
    countyKeyId: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, '1 to 128 visible ASCII characters')
      .optional()
      .describe('the key id the county signs with; default county-<first 8 hex digits of the key\'s fingerprint>'),
    readTokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits: the SHA-256 of the token, e.g. from `printf %s "$TOKEN" | sha256sum`')
      .optional()
      .describe('hex SHA-256 of a bearer token that may read GET /api/v1/boxes from anywhere; without it loopback only'),
    limits: z
      .strictObject({
        maxBodyBytes: z.int().min(4096).max(64 * 1024 * 1024).default(DEFAULT_LIMITS.maxBodyBytes).describe('largest ingest body as sent (compressed), bytes'),
        maxDecompressedBytes: z
          .int()
          .min(4096)
          .max(256 * 1024 * 1024)
          .default(DEFAULT_LIMITS.maxDecompressedBytes)
          .describe('largest ingest body once decompressed, bytes'),
        maxContentBytes: z
          .int()
          .min(1)
          .max(64 * 1024 * 1024 * 1024)
          .default(DEFAULT_LIMITS.maxContentBytes)
          .describe('largest content file POST /api/v1/content and fenghuo hub publish take, bytes'),
      })
      .superRefine((l, ctx) => {
        if (l.maxDecompressedBytes < l.maxBodyBytes) {
          ctx.addIssue({ code: 'custom', path: ['maxDecompressedBytes'], message: `must be at least maxBodyBytes (${l.maxBodyBytes})`, params: { expected: `at least ${l.maxBodyBytes}` } });
        }
      })
      .prefault({}),
    cap: capConfigSchema,
    pull: pullConfigSchema,
    backups: z
      .strictObject({
        keep: z.int().min(1).max(1000).default(DEFAULT_BACKUPS_KEEP).describe('complete backups kept per box; the oldest go when a newer one is complete'),
        maxBytes: z
          .int()
          .min(1024 * 1024)
          .max(1024 * 1024 * 1024 * 1024)
          .default(DEFAULT_BACKUP_MAX_BYTES)
          .describe('the largest backup (all its files) a box may send, bytes'),
      })
      .prefault({})
      .describe('the boxes\' backups sent through the sync link (backup.to: [hub] on a box), kept under <dataDir>/backups/<box>/'),
    images: z
      .strictObject({
        keepDays: z
          .int()
          .min(1)
          .max(36_500)
          .default(DEFAULT_IMAGES_KEEP_DAYS)
          .describe('days a camera picture (thumbnail and full image) is kept after it arrived; older ones are removed, checked at most once an hour'),
      })
      .prefault({})
      .describe('the boxes\' camera pictures sent through the sync link, kept under <dataDir>/images/<box>/<dbId>/'),
  })
  .describe('fenghuo county hub configuration');

export interface HubConfig {
  /** `HOST:PORT`. */
  readonly listen: string;
  readonly publicOrigin?: string;
  /** Absolute. */
  readonly dataDir: string;
  readonly store: HubStoreConfig;
  /** Absolute path of the county key file. */
  readonly countyKeyFile: string;
  readonly countyKeyId?: string;
  readonly readTokenSha256?: string;
  readonly limits: HubLimits;
  /** The CAP feed's sender, areas and time zone (hub/cap/cap-config.ts). */
  readonly cap: HubCapConfig;
  /** Boxes the hub pulls (hub/pull/); `token` is filled from `tokenFile` by loadHubConfigFile. */
  readonly pull: readonly PullTarget[];
  /** The boxes' backups (hub/backups/): kept per box, and the largest taken. */
  readonly backups: { readonly keep: number; readonly maxBytes: number };
  /** The boxes' camera pictures (hub/images/): kept this many days after arriving. */
  readonly images: { readonly keepDays: number };
}

export type HubConfigResult = { readonly ok: true; readonly config: HubConfig } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

function resolveConfig(c: z.output<typeof hubConfigSchema>, cwd: string): HubConfig {
  const dataDir = resolve(cwd, c.dataDir);
  const store: HubStoreConfig =
    c.store?.postgres !== undefined
      ? { kind: 'postgres', connectionString: c.store.postgres }
      : { kind: 'sqlite', path: resolve(cwd, c.store?.sqlite ?? join(dataDir, 'hub.db')) };
  return {
    listen: c.listen,
    ...(c.publicOrigin === undefined ? {} : { publicOrigin: new URL(c.publicOrigin).origin }),
    dataDir,
    store,
    countyKeyFile: resolve(cwd, c.countyKey ?? join(dataDir, 'county.key')),
    ...(c.countyKeyId === undefined ? {} : { countyKeyId: c.countyKeyId }),
    ...(c.readTokenSha256 === undefined ? {} : { readTokenSha256: c.readTokenSha256.toLowerCase() }),
    limits: c.limits,
    cap: c.cap,
    pull: resolvePullTargets(c.pull, (p) => resolve(cwd, p)),
    backups: c.backups,
    images: c.images,
  };
}

/** The defaults, as if from an empty file. */
export function defaultHubConfig(cwd = process.cwd()): HubConfig {
  return resolveConfig(hubConfigSchema.parse({}), cwd);
}

/** Checks the text of a hub configuration file: every problem at once, in file order. */
export function parseHubConfigText(text: string, cwd = process.cwd()): HubConfigResult {
  // An empty file (or comments only) is the defaults.
  if (text.replace(/#.*$/gm, '').trim() === '') return { ok: true, config: defaultHubConfig(cwd) };
  const parsed = parseYamlSource(text);
  if (!parsed.ok) {
    // The box's wording names its own keys; say the hub's.
    return {
      ok: false,
      problems: parsed.problems.map((p) =>
        p.path === '' && /top level/.test(p.message) ? { ...p, message: 'the top level must be a mapping of hub settings (lines like "listen:" and "store:")', messageZh: '顶层必须是键值映射 (如 "listen:" 和 "store:")' } : p,
      ),
    };
  }
  const { data, locate } = parsed.source;
  const result = hubConfigSchema.safeParse(data);
  if (result.success) return { ok: true, config: resolveConfig(result.data, cwd) };
  const problems = problemsFromZodIssues(result.error.issues, data, hubConfigSchema)
    .map((p) => ({ ...p, ...locate(p.segments, 'key') }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, problems };
}

/** Reads and checks a hub configuration file; an unreadable file is a problem like any other. */
export async function loadHubConfigFile(file: string, cwd = process.cwd()): Promise<HubConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory, not a file' : code === 'EACCES' ? 'permission denied' : String(err);
    return { ok: false, problems: [makeProblem([], { message: `cannot read ${file}: ${why}`, messageZh: `无法读取 ${file}` })] };
  }
  const parsed = parseHubConfigText(text, cwd);
  if (!parsed.ok) return parsed;
  // The pull targets' token files (0600), read once here: a bad one is a configuration problem like any other.
  const tokens = await readPullTokens(parsed.config.pull);
  return tokens.ok ? { ok: true, config: { ...parsed.config, pull: tokens.targets } } : tokens;
}

/** The store for logs: never the connection string (it may hold a password). */
export function describeStore(store: HubStoreConfig): string {
  if (store.kind === 'sqlite') return `sqlite ${store.path}`;
  try {
    const u = new URL(store.connectionString);
    return `postgres ${u.hostname}${u.port === '' ? '' : `:${u.port}`}${u.pathname}`;
  } catch {
    return 'postgres';
  }
}
