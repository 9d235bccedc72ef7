import type { z } from 'zod';
import { describeKind, makeProblem, renderValue, valueAt, type ConfigProblem, type PathSegment } from './problem.js';
import { didYouMean } from './suggest.js';

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

/** Turns zod issues into problems that name the exact key path, the value written, and what is allowed. */
export function problemsFromZodIssues(issues: readonly Issue[], root: unknown, schema: Schema): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) translate(issue, [], root, schema, out);
  return out;
}

function translate(issue: Issue, prefix: readonly PathSegment[], root: unknown, schema: Schema, out: ConfigProblem[]): void {
  const segments = [...prefix, ...issue.path.map(toSegment)];
  const value = valueAt(root, segments);
  switch (issue.code) {
    case 'invalid_type':
      out.push(invalidType(segments, value, issue.expected));
      return;
    case 'invalid_value':
      out.push(notOneOf(segments, value, issue.values));
      return;
    case 'too_big':
    case 'too_small':
      out.push(outOfBounds(segments, value, issue));
      return;
    case 'unrecognized_keys':
      for (const key of issue.keys) out.push(unknownKey([...segments, key], root, schema));
      return;
    case 'invalid_union':
      translateUnion(issue, segments, value, root, schema, out);
      return;
    case 'invalid_key': {
      const key = segments[segments.length - 1];
      const reason = issue.issues[0]?.message ?? 'it is not a valid name';
      out.push(makeProblem(segments, { value: renderValue(key), message: `the name ${renderValue(key)} is not allowed: ${reason}`, expected: reason }));
      return;
    }
    case 'invalid_format':
      out.push(
        makeProblem(segments, {
          value: renderValue(value),
          message: `${renderValue(value)} is not valid: ${issue.message}`,
          expected: issue.message,
          messageZh: `${renderValue(value)} 格式不对`,
        }),
      );
      return;
    case 'not_multiple_of':
      out.push(makeProblem(segments, { value: renderValue(value), message: `${renderValue(value)} is not a multiple of ${issue.divisor}` }));
      return;
    case 'custom': {
      const expected = typeof issue.params?.expected === 'string' ? issue.params.expected : undefined;
      out.push(makeProblem(segments, { value: renderValue(value), message: issue.message, ...(expected ? { expected } : {}) }));
      return;
    }
    default:
      out.push(makeProblem(segments, { value: renderValue(value), message: issue.message }));
  }
}

function toSegment(key: PropertyKey): PathSegment {
  return typeof key === 'number' ? key : String(key);
}

const EXPECTED_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping (indented "key: value" lines)',
  array: 'a list (lines starting with "- ")',
  record: 'a mapping (indented "name: ..." entries)',
};

const EXPECTED_ZH: Record<string, string> = {
  number: '数字',
  int: '整数',
  string: '文本',
  boolean: 'true 或 false',
  object: '映射 (缩进的 "键: 值")',
  array: '列表 (以 "- " 开头的行)',
  record: '映射',
};

function invalidType(segments: readonly PathSegment[], value: unknown, expectedType: string): ConfigProblem {
  const expected = EXPECTED_WORDS[expectedType] ?? expectedType;
  const zh = EXPECTED_ZH[expectedType] ?? expectedType;
  if (value === undefined) {
    return makeProblem(segments, { message: `is missing; expected ${expected}`, expected, messageZh: `缺少此项, 应为${zh}` });
  }
  if (value === null) {
    return makeProblem(segments, { value: 'empty', message: `is empty; expected ${expected}`, expected, messageZh: `此项为空, 应为${zh}` });
  }
  let hint = '';
  if (typeof value === 'string' && (expectedType === 'number' || expectedType === 'int') && value.trim() !== '' && Number.isFinite(Number(value))) {
    hint = ' (write it without quotes)';
  }
  if (typeof value === 'string' && expectedType === 'boolean' && /^(true|false)$/i.test(value)) hint = ' (write true or false without quotes)';
  const message =
    expectedType === 'int' && typeof value === 'number'
      ? `${renderValue(value)} is not a whole number; expected ${expected}`
      : `${renderValue(value)} is ${describeKind(value)}; expected ${expected}${hint}`;
  return makeProblem(segments, { value: renderValue(value), message, expected, messageZh: `${renderValue(value)} 类型不对, 应为${zh}` });
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : renderValue(v))).join(', ');
}

function notOneOf(segments: readonly PathSegment[], value: unknown, values: readonly unknown[]): ConfigProblem {
  const expected = values.length === 1 ? listValues(values) : `one of ${listValues(values)}`;
  const zh = `只能是 ${listValues(values)} 之一`;
  if (value === undefined) return makeProblem(segments, { message: `is missing; expected ${expected}`, expected, messageZh: `缺少此项, ${zh}` });
  const near = typeof value === 'string' ? didYouMean(value, values.filter((v): v is string => typeof v === 'string')) : undefined;
  const quotedNumber = typeof value === 'string' && values.includes(Number(value)) ? ' (write it without quotes)' : '';
  const suggestion = near !== undefined ? `; did you mean ${near}?` : quotedNumber;
  return makeProblem(segments, {
    value: renderValue(value),
    message: `${renderValue(value)} is not allowed; expected ${expected}${suggestion}`,
    expected,
    messageZh: `${renderValue(value)} 不允许, ${zh}`,
  });
}

function outOfBounds(segments: readonly PathSegment[], value: unknown, issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): ConfigProblem {
  const big = issue.code === 'too_big';
  const limit = Number(big ? (issue as z.core.$ZodIssueTooBig).maximum : (issue as z.core.$ZodIssueTooSmall).minimum);
  const inclusive = issue.inclusive !== false;
  const shown = renderValue(value);
  if (issue.origin === 'string' && !big && limit === 1) {
    return makeProblem(segments, { value: shown, message: 'must not be empty', expected: 'non-empty text', messageZh: '不能为空' });
  }
  if (issue.origin === 'string' || issue.origin === 'array') {
    const unit = issue.origin === 'string' ? 'characters' : 'items';
    const expected = `${big ? 'at most' : 'at least'} ${limit} ${unit}`;
    return makeProblem(segments, { value: shown, message: `has ${big ? 'too many' : 'too few'} ${unit}; expected ${expected}`, expected });
  }
  const bound = big ? (inclusive ? `at most ${limit}` : `below ${limit}`) : inclusive ? `at least ${limit}` : `above ${limit}`;
  return makeProblem(segments, {
    value: shown,
    message: `${shown} is too ${big ? 'large' : 'small'}; expected ${bound}`,
    expected: bound,
    messageZh: `${shown} 太${big ? '大' : '小'}, 应${big ? '不大于' : '不小于'} ${limit}`,
  });
}

function translateUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  segments: readonly PathSegment[],
  value: unknown,
  root: unknown,
  schema: Schema,
  out: ConfigProblem[],
): void {
  if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
    // zod reports a bad discriminator at the object; the installer has to fix the `type:` line itself.
    const at = segments[segments.length - 1] === issue.discriminator ? segments : [...segments, issue.discriminator];
    out.push(notOneOf(at, valueAt(root, at), issue.options));
    return;
  }
  const branches = issue.errors;
  const typeMismatch = (branch: readonly Issue[]): boolean =>
    branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || (i.code === 'invalid_union' && i.errors.every(typeMismatch))));
  const literalMiss = (branch: readonly Issue[]): boolean => branch.length === 1 && branch[0]?.code === 'invalid_value' && branch[0].path.length === 0;
  const relevant = branches.filter((b) => !typeMismatch(b));
  if (relevant.length === 1 && relevant[0] !== undefined) {
    for (const inner of relevant[0]) translate(inner, segments, root, schema, out);
    return;
  }
  if (branches.length > 0 && branches.every(literalMiss)) {
    const values = branches.flatMap((b) => (b[0]?.code === 'invalid_value' ? b[0].values : []));
    out.push(notOneOf(segments, value, values));
    return;
  }
  if (relevant.length === 0) {
    const expectedKinds = [...new Set(branches.flatMap((b) => b.flatMap((i) => (i.code === 'invalid_type' ? [EXPECTED_WORDS[i.expected] ?? i.expected] : []))))];
    const expected = expectedKinds.join(' or ');
    out.push(
      value === undefined
        ? makeProblem(segments, { message: `is missing; expected ${expected}`, expected })
        : makeProblem(segments, { value: renderValue(value), message: `${renderValue(value)} is ${describeKind(value)}; expected ${expected}`, expected }),
    );
    return;
  }
  // Several alternatives nearly fit: report the one with the fewest complaints.
  const closest = [...relevant].sort((a, b) => a.length - b.length)[0] ?? [];
  for (const inner of closest) translate(inner, segments, root, schema, out);
}

function unknownKey(segments: readonly PathSegment[], root: unknown, schema: Schema): ConfigProblem {
  const key = String(segments[segments.length - 1]);
  const parent = segments.slice(0, -1);
  const known = knownKeysAt(schema, root, parent);
  const keys = known.keys;
  const near = didYouMean(key, keys);
  const elsewhere = near === undefined ? unknownKeyOfVariant(key, known, root, parent) : undefined;
  let message = `unknown key "${key}"`;
  if (near !== undefined) message += `; did you mean "${near}"?`;
  else if (elsewhere !== undefined) message += `: ${elsewhere}`;
  const expected = keys.length > 0 ? `one of the keys ${keys.join(', ')}` : undefined;
  if (near === undefined && expected !== undefined) message += `; expected ${expected}`;
  return makeProblem(segments, {
    message,
    ...(expected !== undefined ? { expected } : {}),
    messageZh: near !== undefined ? `未知的键 "${key}", 是不是 "${near}"?` : `未知的键 "${key}"`,
  });
}

interface KnownKeys {
  readonly keys: string[];
  /** The other variants of a discriminated union, e.g. the `rtu` keys when this bus has `type: tcp`. */
  readonly variants: ReadonlyArray<{ readonly tag: string; readonly keys: readonly string[] }>;
}

/** The keys the schema allows at a path of the input, following the discriminator where there is one. */
export function knownKeysAt(schema: Schema, root: unknown, segments: readonly PathSegment[]): KnownKeys {
  let node: Schema | undefined = schema;
  let variants: KnownKeys['variants'] = [];
  for (let i = 0; i <= segments.length && node !== undefined; i++) {
    const resolved = resolveUnion(unwrap(node), valueAt(root, segments.slice(0, i)));
    node = resolved.schema;
    variants = resolved.variants;
    if (i === segments.length) break;
    node = child(node, segments[i]);
  }
  if (node === undefined || node._zod.def.type !== 'object') return { keys: [], variants: [] };
  return { keys: Object.keys((node._zod.def as z.core.$ZodObjectDef).shape), variants };
}

function unknownKeyOfVariant(key: string, known: KnownKeys, root: unknown, parent: readonly PathSegment[]): string | undefined {
  const owner = known.variants.find((v) => v.keys.includes(key));
  if (owner === undefined) return undefined;
  const tag = valueAt(root, [...parent, 'type']);
  return `"${key}" belongs to entries with type: ${owner.tag}${typeof tag === 'string' ? `, and this one has type: ${tag}` : ''}`;
}

function unwrap(schema: Schema): Schema {
  let node = schema;
  for (;;) {
    const def = node._zod.def as z.core.$ZodTypeDef & { innerType?: Schema; in?: Schema };
    if (def.innerType !== undefined) node = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) node = def.in;
    else return node;
  }
}

function resolveUnion(schema: Schema, value: unknown): { schema: Schema; variants: KnownKeys['variants'] } {
  const def = schema._zod.def;
  if (def.type !== 'union') return { schema, variants: [] };
  const union = def as z.core.$ZodDiscriminatedUnionDef;
  const objects = union.options.map(unwrap).filter((o) => o._zod.def.type === 'object');
  const disc = union.discriminator;
  if (disc !== undefined && value !== null && typeof value === 'object') {
    const tagOf = (o: Schema): string => [...((o._zod.def as z.core.$ZodObjectDef).shape[disc]?._zod.values ?? [])].map(String).join('|');
    const tag = (value as Record<string, unknown>)[disc];
    const match = objects.find((o) => tagOf(o) === String(tag));
    if (match !== undefined) {
      const variants = objects.filter((o) => o !== match).map((o) => ({ tag: tagOf(o), keys: Object.keys((o._zod.def as z.core.$ZodObjectDef).shape) }));
      return { schema: match, variants };
    }
  }
  return { schema: objects[0] ?? schema, variants: [] };
}

function child(schema: Schema, segment: PathSegment | undefined): Schema | undefined {
  const def = schema._zod.def;
  if (def.type === 'object' && typeof segment === 'string') return (def as z.core.$ZodObjectDef).shape[segment];
  if (def.type === 'array') return (def as z.core.$ZodArrayDef).element;
  if (def.type === 'record') return (def as z.core.$ZodRecordDef).valueType;
  return undefined;
}
