import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { kindOfMediaType, textKindOfName } from '../../broadcast/library/kinds.js';
import { isXrefStart, PDF_HEAD_BYTES, PDF_TAIL_BYTES, pdfXrefOffset } from '../../broadcast/library/pdf-structure.js';
import type { ImportProblemCode, LibraryKind } from '../../broadcast/library/types.js';

/**
 * What a file on a stick really is, and whether it is whole. The type comes from its magic bytes (`file-type`, the
 * well-kept sniffer: dozens of container signatures, MPEG-TS sync bytes, ISO BMFF brands, which a hand-written table
 * would get subtly wrong), never from its extension, except for plain text, which has no magic. Then:
 * - video: `ffmpeg -c copy -f null` reads every packet without decoding (about disk speed); a cut file, a missing
 *   moov atom or broken packets show as an error;
 * - PDF: its skeleton (header, startxref, %%EOF, the xref it points at: broadcast/library/pdf-structure.ts);
 * - text: must be UTF-8;
 * - images: the sniffed header is the check.
 */
export type Probe =
  | { readonly ok: true; readonly kind: LibraryKind; readonly mediaType: string; readonly ext: string }
  | { readonly ok: false; readonly verdict: 'corrupt' | 'unsupported'; readonly code: ImportProblemCode; readonly problem: string };

export interface ProbeOptions {
  /** The ffmpeg binary (default `ffmpeg` on PATH). */
  readonly ffmpeg?: string;
  /** Longest a video check may take (default 10 min: a long film read from disk). */
  readonly videoTimeoutMs?: number;
  /** Largest text file taken (default 4 MiB). */
  readonly maxTextBytes?: number;
}

/** `name` is the file's original name (for the extension of plain text). */
export async function probeFile(path: string, name: string, opts: ProbeOptions = {}): Promise<Probe> {
  // Loaded on the first import from a stick, not with the daemon (it and its readers cost ~1.5 MB of heap).
  const { fileTypeFromFile } = await import('file-type');
  const sniffed = await fileTypeFromFile(path);
  if (sniffed === undefined) return probeText(path, name, opts.maxTextBytes ?? 4 * 1024 * 1024);
  const kind = kindOfMediaType(sniffed.mime);
  if (kind === undefined) return { ok: false, verdict: 'unsupported', code: 'unsupported_type', problem: `${sniffed.mime} is not a library type (video, PDF, image, text)` };
  const found = { ok: true as const, kind, mediaType: sniffed.mime, ext: sniffed.ext };
  if (kind === 'pdf') {
    const problem = await pdfProblem(path);
    return problem === undefined ? found : { ok: false, verdict: 'corrupt', code: 'pdf_broken', problem: `PDF: ${problem}` };
  }
  if (kind === 'video') {
    const problem = await videoProblem(path, opts.ffmpeg ?? 'ffmpeg', opts.videoTimeoutMs ?? 600_000);
    return problem === undefined ? found : { ok: false, verdict: 'corrupt', code: problem.unchecked ? 'video_unchecked' : 'video_broken', problem: `video: ${problem.text}` };
  }
  return found;
}

async function probeText(path: string, name: string, maxBytes: number): Promise<Probe> {
  const text = textKindOfName(name);
  if (text === undefined) return { ok: false, verdict: 'unsupported', code: 'unknown_type', problem: 'unknown type (no known magic bytes, not .txt/.md/.csv)' };
  const bytes = await readFile(path);
  if (bytes.length > maxBytes) return { ok: false, verdict: 'unsupported', code: 'text_too_large', problem: `text larger than ${maxBytes} bytes` };
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, verdict: 'corrupt', code: 'text_not_utf8', problem: 'text is not UTF-8 (save it as UTF-8)' };
  }
  return { ok: true, kind: text.kind, mediaType: text.mediaType, ext: name.slice(name.lastIndexOf('.') + 1).toLowerCase() };
}

async function pdfProblem(path: string): Promise<string | undefined> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const read = async (at: number, n: number): Promise<Uint8Array> => {
      const buf = Buffer.alloc(Math.max(0, Math.min(n, size - at)));
      await fh.read(buf, 0, buf.length, at);
      return buf;
    };
    const head = await read(0, PDF_HEAD_BYTES);
    const tail = await read(Math.max(0, size - PDF_TAIL_BYTES), PDF_TAIL_BYTES);
    const xref = pdfXrefOffset(head, tail, size);
    if (!xref.ok) return xref.problem;
    return isXrefStart(await read(xref.offset, 32)) ? undefined : `startxref ${xref.offset} does not point at a cross-reference table`;
  } finally {
    await fh.close();
  }
}

/** undefined when ffmpeg reads every packet without an error; `unchecked` when ffmpeg could not run or took too long. */
function videoProblem(path: string, ffmpeg: string, timeoutMs: number): Promise<{ readonly text: string; readonly unchecked: boolean } | undefined> {
  return new Promise((resolve) => {
    const child = spawn(ffmpeg, ['-nostdin', '-hide_banner', '-v', 'error', '-i', path, '-map', '0', '-c', 'copy', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ text: `cannot run ${ffmpeg} to check it (${err.message})`, unchecked: true });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const firstError = stderr.split('\n').map((l) => l.replace(/^\[[^\]]*\]\s*/, '').replace(path, '<file>').trim()).find((l) => l !== '');
      if (signal !== null) resolve({ text: `check stopped (${signal}) after ${timeoutMs} ms`, unchecked: true });
      else if (code !== 0) resolve({ text: firstError ?? `ffmpeg exited ${code}`, unchecked: false });
      else resolve(firstError === undefined ? undefined : { text: firstError, unchecked: false });
    });
  });
}
