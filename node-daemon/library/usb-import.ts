import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { lstat, open, readdir, rename } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { categoryOfPath, titleOfName } from '../../broadcast/library/kinds.js';
import type { ImportDuplicateCode, ImportProblemCode, LibraryKind } from '../../broadcast/library/types.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import { fsyncDir } from '../sync/enrol/files.js';
import type { LibraryStore } from './library-store.js';
import { probeFile, type ProbeOptions } from './probe-file.js';

export const LIBRARY_DIR = 'library';
const PARTIAL_DIR = '.partial';
/** A stick with more files than this is a mistake (a whole disk mounted): the walk stops and says so. */
const MAX_FILES = 10_000;

/** A file not imported: the machine code (the UI's words) and the English detail. */
export interface ImportProblem {
  readonly file: string;
  readonly code: ImportProblemCode;
  readonly problem: string;
}

/** A duplicate: `sameAs` in English, and the same as fields (the library item, or the other file of this import). */
export interface ImportDuplicate {
  readonly file: string;
  readonly sha256: string;
  readonly code: ImportDuplicateCode;
  readonly sameAs: string;
  readonly sameAsId?: number;
  readonly sameAsTitle?: string;
  readonly sameAsFile?: string;
}

export interface ImportReport {
  readonly folder: string;
  readonly imported: readonly { readonly file: string; readonly id: number; readonly title: string; readonly kind: LibraryKind }[];
  /** Same bytes (sha256) as an item already in the library, or as another file of this import. */
  readonly duplicates: readonly ImportDuplicate[];
  /** The file is not whole or not what its bytes claim (a cut video, a broken PDF, text that is not UTF-8). */
  readonly corrupt: readonly ImportProblem[];
  /** Not a library type, too large, unreadable, or past the file limit. */
  readonly skipped: readonly ImportProblem[];
}

export interface ImportOptions {
  /** The folder on the stick (already checked to be under a configured mount). */
  readonly folder: string;
  readonly dataDir: string;
  readonly store: LibraryStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly maxFileBytes: number;
  /** Overrides the category (default: each file's first folder under `folder`). */
  readonly category?: string;
  readonly tags?: readonly string[];
  readonly probe?: ProbeOptions;
}

/** Files under `folder`, relative and `/`-separated, sorted; dot-files and symlinks left out. */
async function walk(folder: string, skipped: ImportProblem[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      const rel = relative(folder, full).split(sep).join('/');
      if (e.isDirectory()) await visit(full);
      else if (e.isFile()) {
        if (out.length >= MAX_FILES) {
          skipped.push({ file: rel, code: 'too_many_files', problem: `more than ${MAX_FILES} files in the folder: the rest are left` });
          return;
        }
        out.push(rel);
      }
    }
  };
  await visit(folder);
  return out;
}

/** Copies `from` to `to` while hashing the bytes copied, then fsyncs `to`: the sha256 is of what landed on our disk. */
async function copyHashing(from: string, to: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), tee, createWriteStream(to, { flags: 'wx', mode: 0o644 }));
  const fh = await open(to, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Imports every file of a USB folder into the library: each is copied to `<data>/library/.partial/`, hashed on the
 * way, checked (probe-file.ts), and renamed to `<data>/library/<sha256>.<ext>` only when it is whole and new, so
 * a reader never sees a piece and a pulled stick leaves no half item. The report lists what was imported, the
 * duplicates, the corrupt files and what was skipped, each by its path under the folder.
 */
export async function importFolder(opts: ImportOptions): Promise<ImportReport> {
  const libDir = join(opts.dataDir, LIBRARY_DIR);
  const partials = join(libDir, PARTIAL_DIR);
  mkdirSync(partials, { recursive: true });
  const imported: { file: string; id: number; title: string; kind: LibraryKind }[] = [];
  const duplicates: ImportDuplicate[] = [];
  const corrupt: ImportProblem[] = [];
  const skipped: ImportProblem[] = [];
  const seen = new Map<string, string>();
  const files = await walk(opts.folder, skipped);
  for (const rel of files) {
    const source = join(opts.folder, ...rel.split('/'));
    const partial = join(partials, randomUUID());
    try {
      const st = await lstat(source);
      if (st.size > opts.maxFileBytes) {
        skipped.push({ file: rel, code: 'too_large', problem: `${st.size} bytes is more than library.maxImportFileBytes (${opts.maxFileBytes})` });
        continue;
      }
      if (st.size === 0) {
        corrupt.push({ file: rel, code: 'empty', problem: 'empty file' });
        continue;
      }
      const { sha256, size } = await copyHashing(source, partial);
      const existing = opts.store.bySha256(sha256)[0];
      const earlier = seen.get(sha256);
      if (existing !== undefined || earlier !== undefined) {
        const sameAs = existing !== undefined ? `library item ${existing.id} 「${existing.title}」` : `${earlier ?? ''} on this stick`;
        duplicates.push(
          existing !== undefined
            ? { file: rel, sha256, code: 'same_as_item', sameAs, sameAsId: existing.id, sameAsTitle: existing.title }
            : { file: rel, sha256, code: 'same_as_file', sameAs, sameAsFile: earlier ?? '' },
        );
        opts.log.info({ event: 'library.import_duplicate', file: rel, sha256, sameAs }, 'duplicate not imported');
        continue;
      }
      seen.set(sha256, rel);
      const probe = await probeFile(partial, rel, opts.probe);
      if (!probe.ok) {
        (probe.verdict === 'corrupt' ? corrupt : skipped).push({ file: rel, code: probe.code, problem: probe.problem });
        opts.log.warn({ event: `library.import_${probe.verdict}`, file: rel, problem: probe.problem }, 'file not imported');
        continue;
      }
      const file = `${LIBRARY_DIR}/${sha256}.${probe.ext}`;
      await rename(partial, join(opts.dataDir, LIBRARY_DIR, `${sha256}.${probe.ext}`));
      fsyncDir(libDir);
      const item = opts.store.add(
        {
          kind: probe.kind,
          title: titleOfName(rel),
          category: opts.category ?? categoryOfPath(rel),
          tags: opts.tags ?? [],
          date: Math.round(st.mtimeMs),
          source: 'usb',
          sourceRef: rel,
          file,
          size,
          sha256,
          mediaType: probe.mediaType,
        },
        opts.clock(),
      );
      imported.push({ file: rel, id: item.id, title: item.title, kind: item.kind });
      opts.log.info({ event: 'library.imported', file: rel, id: item.id, kind: item.kind, size, sha256 }, 'library item imported');
    } catch (err) {
      skipped.push({ file: rel, code: 'unreadable', problem: `could not read or copy it: ${err instanceof Error ? err.message : String(err)}` });
      opts.log.warn({ event: 'library.import_failed', file: rel, err: String(err) }, 'file not imported');
    } finally {
      rmSync(partial, { force: true });
    }
  }
  return { folder: opts.folder, imported, duplicates, corrupt, skipped };
}
