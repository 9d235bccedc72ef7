/**
 * The hub's side of the backup upload (docs/sync.md "Backups to the hub"). On disk, under `<dataDir>/backups/`:
 *
 *     <box>/.incoming/<name>/manifest.json   the upload being received: the manifest the box opened it with,
 *     <box>/.incoming/<name>/<path>          and each file as far as it arrived (its size is the acknowledged count)
 *     <box>/<name>/                          a complete backup, every file verified against the manifest's sha256
 *
 * A file's size on disk is the only resume point, so a hub restart loses nothing the box was told was received
 * (each chunk is fsynced before it is acknowledged). A file whose last byte arrives is hashed before it is kept: a
 * mismatch drops the file (the box sends it again). When every file is in, the folder is renamed into place, indexed
 * (hub_box_backups) and the box's oldest complete backups beyond `keep` are removed. One box's requests are handled
 * one at a time per hub process; several hub processes need `<dataDir>/backups/` on shared storage, as content does.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { planRotation } from '../../node-daemon/backup/backup-plan.js';
import { manifestSchema, type Manifest } from '../../node-daemon/backup/manifest.js';
import type { Logger } from '../../node-daemon/core/log.js';
import type { Clock } from '../../node-daemon/core/types.js';
import { BACKUP_CODES, BACKUP_NAME_PATTERN, identityRefusal, type BackupFileProgress, type BackupOpenAnswer } from '../../node-daemon/sync/protocol/backup-wire.js';
import { appendSynced, fsyncPath, PerKeySerializer, sha256OfFile as sha256Of, sizeOfFile as sizeOf, writeFileAtomic } from '../files/append-file.js';
import type { HeldBackup, HubBackupIndex } from './backup-index.js';

export const INCOMING_DIR = '.incoming';
export const DEFAULT_BACKUPS_KEEP = 3;
export const DEFAULT_BACKUP_MAX_BYTES = 2 * 1024 * 1024 * 1024;

export interface BackupReceiverOptions {
  /** `<dataDir>/backups`. */
  readonly dir: string;
  readonly keep: number;
  readonly maxBytes: number;
  readonly index: HubBackupIndex;
  readonly log: Logger;
  readonly clock: Clock;
}

export type Refusal = { readonly ok: false; readonly status: 400 | 404 | 409 | 413 | 422; readonly code: string; readonly message: string; readonly received?: number; readonly param?: string };
export type OpenResult = { readonly ok: true; readonly answer: Omit<BackupOpenAnswer, 'hubTime'> } | Refusal;
export type AppendResult = { readonly ok: true; readonly received: number; readonly complete: boolean } | Refusal;

const fileOf = (dir: string, rel: string): string => join(dir, ...rel.split('/'));

export class HubBackupReceiver {
  private readonly queue = new PerKeySerializer();

  constructor(private readonly opts: BackupReceiverOptions) {}

  get keep(): number {
    return this.opts.keep;
  }

  boxDir(box: string): string {
    return join(this.opts.dir, box);
  }

  /** A complete backup's folder, if the hub holds it. */
  async completeDir(box: string, name: string): Promise<string | undefined> {
    if (!BACKUP_NAME_PATTERN.test(name)) return undefined;
    const dir = join(this.boxDir(box), name);
    return (await sizeOf(join(dir, 'manifest.json'))) === undefined ? undefined : dir;
  }

  /** The box's upload in progress, if any: its name and how much of it arrived. */
  async receiving(box: string): Promise<{ readonly name: string; readonly receivedBytes: number; readonly totalBytes: number } | undefined> {
    const base = join(this.boxDir(box), INCOMING_DIR);
    let names: string[];
    try {
      names = (await readdir(base)).filter((n) => BACKUP_NAME_PATTERN.test(n)).sort();
    } catch {
      return undefined;
    }
    const name = names.at(-1);
    if (name === undefined) return undefined;
    const manifest = await this.readIncomingManifest(join(base, name));
    if (manifest === undefined) return undefined;
    let received = 0;
    for (const f of manifest.files) received += Math.min(f.size, (await sizeOf(fileOf(join(base, name), f.path))) ?? 0);
    return { name, receivedBytes: received, totalBytes: manifest.files.reduce((n, f) => n + f.size, 0) };
  }

  /** The open request: the manifest as the box sends it. */
  open(box: string, name: string, text: Uint8Array): Promise<OpenResult> {
    return this.serialized(box, () => this.openNow(box, name, text));
  }

  /** A file request: `bytes` of `path` from `offset`. */
  append(box: string, name: string, path: string, offset: number, bytes: Uint8Array): Promise<AppendResult> {
    return this.serialized(box, () => this.appendNow(box, name, path, offset, bytes));
  }

  private serialized<T>(box: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(box, work);
  }

  private incoming(box: string, name: string): string {
    return join(this.boxDir(box), INCOMING_DIR, name);
  }

  private async readIncomingManifest(dir: string): Promise<Manifest | undefined> {
    try {
      return manifestSchema.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
    } catch {
      return undefined;
    }
  }

  private async openNow(box: string, name: string, text: Uint8Array): Promise<OpenResult> {
    if (!BACKUP_NAME_PATTERN.test(name)) return { ok: false, status: 400, code: 'bad_request', message: 'not a backup name (fenghuo-backup-YYYYMMDD-HHMMSSZ)', param: 'name' };
    let manifest: Manifest;
    try {
      const parsed = manifestSchema.safeParse(JSON.parse(Buffer.from(text).toString('utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, status: 400, code: 'bad_request', message: `not a backup manifest (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})` };
      }
      manifest = parsed.data;
    } catch {
      return { ok: false, status: 400, code: 'bad_request', message: 'the manifest is not JSON' };
    }
    const clear = identityRefusal(manifest);
    if (clear !== undefined) {
      this.opts.log.warn({ event: 'hub.backup.identity_in_clear', box, backup: name, detail: clear }, `backup ${name} of ${box} refused: ${clear}`);
      return { ok: false, status: 400, code: BACKUP_CODES.identityInClear, message: clear };
    }
    const paths = new Set<string>();
    for (const f of manifest.files) {
      if (paths.has(f.path) || f.path === 'manifest.json' || f.path.startsWith('/') || f.path.split('/').some((p) => p === '' || p === '.' || p === '..')) {
        return { ok: false, status: 400, code: 'bad_request', message: `file path ${JSON.stringify(f.path)} is not one a backup may hold` };
      }
      paths.add(f.path);
    }
    const total = manifest.files.reduce((n, f) => n + f.size, 0);
    if (total > this.opts.maxBytes) return { ok: false, status: 413, code: BACKUP_CODES.tooLarge, message: `the backup is ${total} bytes; this hub takes at most ${this.opts.maxBytes} (backups.maxBytes)` };

    if ((await this.completeDir(box, name)) !== undefined) {
      return { ok: true, answer: { backup: name, state: 'complete', files: manifest.files.map((f) => ({ path: f.path, size: f.size, received: f.size })) } };
    }
    const dir = this.incoming(box, name);
    const had = await readFile(join(dir, 'manifest.json')).catch(() => undefined);
    if (had === undefined || !Buffer.from(had).equals(Buffer.from(text))) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(join(dir, 'manifest.json'), text);
      this.opts.log.info({ event: 'hub.backup.opened', box, backup: name, bytes: total, files: manifest.files.length }, `backup ${name} of ${box}: receiving ${total} bytes`);
    }
    await this.dropOtherIncoming(box, name);
    const files: BackupFileProgress[] = [];
    for (const f of manifest.files) {
      const path = fileOf(dir, f.path);
      let received = Math.min(f.size, (await sizeOf(path)) ?? 0);
      // A file whole on disk was checked when its last byte came, unless the hub stopped in between: check it again.
      if (received === f.size && (await sha256Of(path)) !== f.sha256) {
        await rm(path, { force: true });
        received = 0;
      }
      files.push({ path: f.path, size: f.size, received });
    }
    if (files.every((f) => f.received === f.size)) {
      await this.finish(box, name, manifest);
      return { ok: true, answer: { backup: name, state: 'complete', files } };
    }
    const got = files.reduce((n, f) => n + f.received, 0);
    if (got > 0) this.opts.log.info({ event: 'hub.backup.resume', box, backup: name, received: got, bytes: total }, `backup ${name} of ${box} resumes at ${got} of ${total} bytes`);
    return { ok: true, answer: { backup: name, state: 'receiving', files } };
  }

  /** Only the newest upload of a box is worth keeping: one it opens replaces any other in progress. */
  private async dropOtherIncoming(box: string, keep: string): Promise<void> {
    const base = join(this.boxDir(box), INCOMING_DIR);
    for (const n of await readdir(base).catch(() => [] as string[])) {
      if (n === keep) continue;
      await rm(join(base, n), { recursive: true, force: true });
      this.opts.log.info({ event: 'hub.backup.superseded', box, backup: n, by: keep }, `upload of ${n} from ${box} dropped: the box sends ${keep} instead`);
    }
  }

  private async appendNow(box: string, name: string, path: string, offset: number, bytes: Uint8Array): Promise<AppendResult> {
    if (!BACKUP_NAME_PATTERN.test(name)) return { ok: false, status: 400, code: 'bad_request', message: 'not a backup name', param: 'name' };
    const dir = this.incoming(box, name);
    const manifest = await this.readIncomingManifest(dir);
    if (manifest === undefined) {
      if ((await this.completeDir(box, name)) !== undefined) {
        const f = (await this.readIncomingManifest(join(this.boxDir(box), name)))?.files.find((x) => x.path === path);
        if (f !== undefined) return { ok: true, received: f.size, complete: true };
      }
      return { ok: false, status: 404, code: BACKUP_CODES.noUpload, message: `no upload of ${name} is open for ${box}: open it again` };
    }
    const entry = manifest.files.find((f) => f.path === path);
    if (entry === undefined) return { ok: false, status: 400, code: 'bad_request', message: `${path} is not a file of ${name}`, param: 'path' };
    const target = fileOf(dir, path);
    const have = (await sizeOf(target)) ?? 0;
    if (offset !== have) return { ok: false, status: 409, code: BACKUP_CODES.offsetMismatch, message: `the hub holds ${have} bytes of ${path}`, received: have };
    if (offset + bytes.byteLength > entry.size) return { ok: false, status: 400, code: 'bad_request', message: `${path} has ${entry.size} bytes; ${offset}+${bytes.byteLength} is past its end` };
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await appendSynced(target, bytes);
    const received = offset + bytes.byteLength;
    if (received < entry.size) return { ok: true, received, complete: false };
    const got = await sha256Of(target);
    if (got !== entry.sha256) {
      await rm(target, { force: true });
      this.opts.log.warn({ event: 'hub.backup.sha256_mismatch', box, backup: name, path, expected: entry.sha256, got }, `${path} of backup ${name} from ${box} does not match its sha256: dropped, the box sends it again`);
      return { ok: false, status: 422, code: BACKUP_CODES.sha256Mismatch, message: `${path} does not match the manifest's sha256: send it again from 0`, received: 0 };
    }
    this.opts.log.info({ event: 'hub.backup.file_verified', box, backup: name, path, bytes: entry.size }, `${path} of backup ${name} from ${box} verified`);
    for (const f of manifest.files) if (f.path !== path && ((await sizeOf(fileOf(dir, f.path))) ?? 0) < f.size) return { ok: true, received, complete: false };
    await this.finish(box, name, manifest);
    return { ok: true, received, complete: true };
  }

  /** Every file in and verified: the folder goes into place, is indexed, and retention runs. */
  private async finish(box: string, name: string, manifest: Manifest): Promise<void> {
    const from = this.incoming(box, name);
    const to = join(this.boxDir(box), name);
    await rm(to, { recursive: true, force: true });
    await rename(from, to);
    await fsyncPath(this.boxDir(box));
    const held: HeldBackup = {
      name,
      createdAt: manifest.createdAt,
      receivedAt: this.opts.clock(),
      bytes: manifest.files.reduce((n, f) => n + f.size, 0),
      files: manifest.files.length,
      dbId: manifest.database.dbId,
      identity: manifest.identity.state,
      fenghuoVersion: manifest.fenghuoVersion,
      schemaVersion: manifest.schemaVersion,
    };
    await this.opts.index.put(box, held);
    this.opts.log.info({ event: 'hub.backup.complete', box, backup: name, bytes: held.bytes, files: held.files, identity: held.identity }, `backup ${name} of ${box} complete and verified`);
    await this.prune(box, name);
  }

  private async prune(box: string, justMade: string): Promise<void> {
    const held = await this.opts.index.list(box);
    const plan = planRotation(held.map((b) => ({ name: b.name, isDirectory: true, hasManifest: true })), this.opts.keep, justMade);
    for (const name of plan.remove) {
      await rm(join(this.boxDir(box), name), { recursive: true, force: true });
      await this.opts.index.remove(box, name);
      this.opts.log.info({ event: 'hub.backup.pruned', box, backup: name, keep: this.opts.keep }, `backup ${name} of ${box} removed (backups.keep ${this.opts.keep})`);
    }
  }
}
