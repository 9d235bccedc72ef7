export type PathSegment = string | number;
export type Severity = 'error' | 'warning';

/** One thing wrong (or suspicious) in a configuration file, worded for an installer editing YAML by hand. */
export interface ConfigProblem {
  readonly severity: Severity;
  /** Key path such as `buses[1].baudRate` or `sensors[0].profile.value.type`; '' for the file as a whole. */
  readonly path: string;
  readonly segments: readonly PathSegment[];
  /** The offending value as written (rendered, truncated); absent when the key is missing or the file is at fault. */
  readonly value?: string;
  /** What is allowed here, e.g. `one of 1200, 2400, 4800`. */
  readonly expected?: string;
  /** One English sentence, without the path: `9601 is not allowed; expected one of 1200, 2400, ...`. */
  readonly message: string;
  /** The same in Chinese, where one is written. */
  readonly messageZh?: string;
  /** 1-based position in the YAML file, when known. */
  readonly line?: number;
  readonly column?: number;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `['buses', 1, 'baudRate']` -> `buses[1].baudRate`; odd record keys are quoted: `profiles["my gauge"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

const MAX_VALUE_CHARS = 60;

/** A value as the installer would recognise it, cut to one short line. */
export function renderValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'nothing';
  else if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** What kind of YAML value this is, in words. */
export function describeKind(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true/false';
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

/** Reads the value at a path of plain parsed YAML; undefined when any step is missing. */
export function valueAt(root: unknown, segments: readonly PathSegment[]): unknown {
  let node: unknown = root;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PathSegment, unknown>)[segment];
  }
  return node;
}

export function makeProblem(
  segments: readonly PathSegment[],
  fields: Omit<ConfigProblem, 'path' | 'segments' | 'severity'> & { severity?: Severity },
): ConfigProblem {
  return { severity: 'error', ...fields, path: formatPath(segments), segments: [...segments] };
}
