/**
 * `fenghuo hub publish FILE… [--path P] [--title T] [--to BOX,…]` and `fenghuo hub withdraw PATH…`: the county's
 * content from the command line, the same steps as `POST /api/v1/content` (publish.ts), run against the hub's store
 * and content directory directly (the hub need not be running; a running hub serves the file at once).
 */
import { createReadStream, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { getMimeType } from 'hono/utils/mime';
import type { CliIo } from '../../node-daemon/core/cli-io.js';
import { createLogger, type Logger } from '../../node-daemon/core/log.js';
import type { HubConfig } from '../config.js';
import { withHubStore } from '../cli-verbs.js';
import { BlobTooLarge } from './blob-store.js';
import { manifestIssuerFor } from './order-issuer.js';
import { contentDir } from './paths.js';
import { checkPublish, publishContent, withdrawContent, type ContentDeps, type IssuedOrderRef, type PublishRequest } from './publish.js';

export interface PublishOptions {
  readonly path?: string;
  readonly title?: string;
  /** `BOX,BOX,…`. */
  readonly to?: string;
}

function who(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** CLI logs go to stderr (stdout is for what the command prints). */
function cliLogger(): Logger {
  return createLogger({ level: process.env.FENGHUO_LOG_LEVEL ?? 'warn', destination: { write: (line: string) => void process.stderr.write(line) } });
}

function describeOrders(orders: readonly IssuedOrderRef[] | undefined): string {
  if (orders === undefined) return 'no order sent (this hub has no orders module yet)';
  return `${orders.length} content_manifest order${orders.length === 1 ? '' : 's'} issued (${orders.map((o) => o.id).join(', ')})`;
}

async function withDeps<T>(cfg: HubConfig, run: (deps: ContentDeps) => Promise<T>): Promise<T> {
  const log = cliLogger();
  return withHubStore(cfg, (store) => {
    const issue = manifestIssuerFor({ config: cfg, store, log });
    return run({ store, contentDir: contentDir(cfg), maxContentBytes: cfg.limits.maxContentBytes, log, clock: Date.now, issue });
  });
}

/** Resolves to the exit code: 0 published, 2 a bad argument or file (said on stderr), 1 a failure. */
export async function publishFiles(files: readonly string[], opts: PublishOptions, cfg: HubConfig, io: CliIo): Promise<number> {
  if (files.length === 0) {
    io.err('fenghuo hub publish: name at least one FILE');
    return 2;
  }
  if (files.length > 1 && (opts.path !== undefined || opts.title !== undefined)) {
    io.err('fenghuo hub publish: --path and --title go with one FILE at a time');
    return 2;
  }
  const to = opts.to === undefined ? undefined : opts.to.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const plans: { file: string; req: Omit<PublishRequest, 'by'> }[] = [];
  for (const file of files) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st?.isFile() !== true) {
      io.err(`fenghuo hub publish: ${file}: ${st === undefined ? 'no such file' : 'not a regular file'}`);
      return 2;
    }
    if (st.size > cfg.limits.maxContentBytes) {
      io.err(`fenghuo hub publish: ${file} is ${st.size} bytes, over limits.maxContentBytes (${cfg.limits.maxContentBytes})`);
      return 2;
    }
    const path = opts.path ?? basename(file);
    const mediaType = getMimeType(file);
    const req = { path, ...(opts.title === undefined ? {} : { title: opts.title }), ...(mediaType === undefined ? {} : { mediaType: mediaType.split(';')[0] ?? mediaType }), ...(to === undefined ? {} : { to }) };
    const checked = checkPublish(req);
    if (!checked.ok) {
      io.err(`fenghuo hub publish: ${file}: --${checked.param === 'mediaType' ? 'path' : checked.param} ${checked.message}`);
      return 2;
    }
    plans.push({ file, req });
  }
  return withDeps(cfg, async (deps) => {
    for (const { file, req } of plans) {
      try {
        const out = await publishContent(deps, createReadStream(file), { ...req, by: who() });
        io.out(`published ${out.file.path} sha256 ${out.file.sha256} ${out.file.size} bytes${out.replaced === undefined ? '' : ` (replaces ${out.replaced.sha256.slice(0, 12)})`}; ${describeOrders(out.orders)}`);
      } catch (err) {
        if (err instanceof BlobTooLarge) {
          io.err(`fenghuo hub publish: ${file} grew over limits.maxContentBytes (${err.limit}) while it was read`);
          return 2;
        }
        throw err;
      }
    }
    return 0;
  });
}

/** Resolves to 0 when every PATH was withdrawn, 2 when one was not published. */
export async function withdrawPaths(paths: readonly string[], cfg: HubConfig, io: CliIo): Promise<number> {
  if (paths.length === 0) {
    io.err('fenghuo hub withdraw: name at least one PATH (as published)');
    return 2;
  }
  return withDeps(cfg, async (deps) => {
    let code = 0;
    for (const path of paths) {
      const out = await withdrawContent(deps, path, who());
      if (out === undefined) {
        io.err(`fenghuo hub withdraw: nothing is published at ${path}`);
        code = 2;
        continue;
      }
      io.out(`withdrew ${path} (sha256 ${out.file.sha256}); ${describeOrders(out.orders)}`);
    }
    return code;
  });
}
