// The independent SL 651-2014 reference decoder (sl651_reference.py, written from the standard, not from
// node-daemon/uplinks/) behind a small async helper. ---- HOOK FOR OTHER TESTS ----: run OUR encoder's frames
// through it with `decodeWithReference([...hex])` and compare field by field; `referencePython()` says whether a
// Python is there at all (skip with a message when it is null).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REFERENCE_SCRIPT = fileURLToPath(new URL('./sl651_reference.py', import.meta.url));

export type ReferenceEnd = 'ETX' | 'ETB' | 'ENQ' | 'ACK' | 'NAK' | 'EOT' | 'ESC';

/** Why a frame was refused. `internal` would be a bug in the reference decoder itself. */
export type ReferenceErrorKind =
  | 'input' // the line is not hex
  | 'start' // neither 7E7E nor SOH, or the start mark is neither STX nor SYN
  | 'truncated' // fewer bytes than the header or the length field needs
  | 'length' // the length field disagrees with where the frame really closes
  | 'end' // no end mark where the length field puts it
  | 'crc'
  | 'direction' // direction nibble neither 0 nor 8
  | 'packet' // SYN packet header with seq 0 or seq > total
  | 'body' // the body misses what its function code needs (head, F1F1 …)
  | 'element' // an element that cannot be read (length overruns the group, BCD digits wrong, …)
  | 'bcd'
  | 'time' // a BCD time that is no calendar time
  | 'ascii'
  | 'internal';

export interface ReferenceElement {
  /** Identifier as hex: "39", or "FF09" for an extended one; ASCII frames keep the text ("Z", "PJ"). */
  id: string;
  /** Definition byte as hex (HEX frames). */
  definition?: string;
  /** A single value: number rounded to its decimals, null when missing; element 45 (status bits) as hex text;
   * ASCII frames: the text as sent. */
  value?: number | string | null;
  /** F4 (0.1 mm → mm), F5..FC (cm), or the values after a 04 18 time-step code. */
  values?: (number | string | null)[];
  unit?: 'mm' | 'cm';
  /** HEX: the time step of a 04 18 DDHHmm code in minutes. */
  step_minutes?: number;
  /** ASCII: the time-step token as sent (DRxnn). */
  step?: string;
}

export interface ReferenceGroup {
  /** "YYYY-MM-DD hh:mm" (Beijing time); null for ASCII elements before any TT. */
  observed: string | null;
  elements: ReferenceElement[];
}

export interface ReferencePeriodQuery {
  from: string; // "YYYY-MM-DD hh:00"
  to: string;
  step_minutes: number;
  element: string;
  definition: string;
}

export interface ReferenceFrame {
  ok: true;
  encoding: 'hex' | 'ascii';
  direction: 'up' | 'down';
  centre: number;
  station: string; // 10 hex digits
  password: string; // 4 hex digits
  fn: string; // 2 hex digits
  length: number;
  start: 'STX' | 'SYN';
  packet: { total: number; seq: number } | null;
  end: ReferenceEnd;
  crc_ok: true;
  serial: number | null;
  sent: string | null; // "YYYY-MM-DD hh:mm:ss"
  station_type: string | null; // hex of the type byte ("48" = 'H')
  /** The station address after F1F1 in a report body. */
  body_station: string | null;
  groups: ReferenceGroup[];
  clock_station: string | null; // fn 4A / 51 answers
  query: ReferencePeriodQuery | null; // fn 38 downlink
  requested: { id: string; definition: string }[] | null; // fn 3A downlink
  /** Body bytes left after the layout the function code calls for (hex; ASCII text for ASCII frames). */
  trailing: string | null;
}

export interface ReferenceFailure {
  ok: false;
  error: ReferenceErrorKind;
  detail: string;
}

export type ReferenceDecode = ReferenceFrame | ReferenceFailure;

/** Debian's /usr/bin/python3 when present, else a python3 on PATH, else null. */
export function referencePython(): string | null {
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  const probe = spawnSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
  return probe.status === 0 ? 'python3' : null;
}

function isReferenceDecode(v: unknown): v is ReferenceDecode {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

/** Decodes each hex string (one frame each; ASCII frames hex-encoded too) with the Python reference decoder. */
export async function decodeWithReference(hexFrames: string[]): Promise<ReferenceDecode[]> {
  const python = referencePython();
  if (python === null) throw new Error('python3 not found: the SL 651 reference decoder needs it');
  for (const [i, f] of hexFrames.entries()) {
    if (f.trim() === '' || /[\r\n]/.test(f)) throw new Error(`frame ${i}: must be one non-empty line of hex`);
  }
  if (hexFrames.length === 0) return [];
  const child = spawn(python, ['-I', REFERENCE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  child.stdin.end(hexFrames.join('\n') + '\n');
  const code = await exited;
  const stderr = Buffer.concat(err).toString('utf8');
  if (code !== 0) throw new Error(`reference decoder exited ${code}: ${stderr}`);
  const lines = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l !== '');
  if (lines.length !== hexFrames.length) {
    throw new Error(`reference decoder answered ${lines.length} lines for ${hexFrames.length} frames: ${stderr}`);
  }
  return lines.map((l, i) => {
    const v: unknown = JSON.parse(l);
    if (!isReferenceDecode(v)) throw new Error(`reference decoder line ${i} is not a decode: ${l}`);
    return v;
  });
}
