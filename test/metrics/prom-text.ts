// A strict reader of the Prometheus text exposition format (version 0.0.4), for the metrics tests: every line must
// be a HELP, a TYPE, a sample or empty; each family is typed once, before its samples; no series twice. Throws on anything
// else, naming the line.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, MetricType>;
  readonly help: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
  /** The value of one series: the sample named `name` whose labels are exactly `labels`. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
  /** Every sample of a name. */
  series(name: string): Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const FLOAT = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN';
const LABEL = `${LABEL_NAME}=${LABEL_VALUE}`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}(?:,${LABEL})*)?,?)\\})? (${FLOAT})(?: (-?\\d+))?$`);
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const ONE_LABEL = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

function unescape(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(["\\n])/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch));
}

function family(sample: string, types: ReadonlyMap<string, MetricType>): string | undefined {
  if (types.has(sample)) return sample;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const base = sample.slice(0, -suffix.length);
      const t = types.get(base);
      if (t === 'histogram' || t === 'summary') return base;
    }
  }
  return undefined;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, MetricType>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith('#')) {
      const h = HELP.exec(line);
      if (h !== null) {
        if (help.has(h[1]!)) throw new Error(`HELP twice, ${where}`);
        help.set(h[1]!, h[2]!);
        return;
      }
      const t = TYPE.exec(line);
      if (t !== null) {
        if (types.has(t[1]!)) throw new Error(`TYPE twice, ${where}`);
        if (samples.some((s) => s.name === t[1])) throw new Error(`TYPE after its samples, ${where}`);
        types.set(t[1]!, t[2] as MetricType);
        return;
      }
      // Other comments are allowed by the format, but our exporter writes none.
      throw new Error(`unexpected comment, ${where}`);
    }
    // The format ignores empty lines (prom-client writes one between families).
    if (line === '') return;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample, ${where}`);
    const [, name, labelText = '', valueText] = m;
    const labels: Record<string, string> = {};
    for (const l of labelText.matchAll(ONE_LABEL)) {
      if (l[1]! in labels) throw new Error(`label ${l[1]} twice, ${where}`);
      labels[l[1]!] = unescape(l[2]!);
    }
    if (family(name!, types) === undefined) throw new Error(`sample without a TYPE, ${where}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`series twice, ${where}`);
    seen.add(key);
    const value = valueText === 'NaN' ? Number.NaN : /Inf$/.test(valueText!) ? (valueText!.startsWith('-') ? -Infinity : Infinity) : Number(valueText);
    samples.push({ name: name!, labels, value });
  });
  const same = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
  return {
    types,
    help,
    samples,
    value: (name, labels = {}) => samples.find((s) => s.name === name && same(s.labels, labels))?.value,
    series: (name) => samples.filter((s) => s.name === name),
  };
}
