import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { makeProblem, type ConfigProblem, type PathSegment } from './problem.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface YamlSource {
  /** The document as plain data (maps become objects). */
  readonly data: unknown;
  /** Where a key path is written: the key itself when `at` is 'key', otherwise its value; the nearest written parent if absent. */
  locate(segments: readonly PathSegment[], at?: 'key' | 'value'): Position | undefined;
}

export type YamlParse = { readonly ok: true; readonly source: YamlSource } | { readonly ok: false; readonly problems: ConfigProblem[] };

/**
 * Parses one YAML document strictly: duplicate keys, a second document and syntax errors are problems with a
 * line:column, and an empty file is a problem too (an appliance started on an empty file would poll nothing).
 */
export function parseYamlSource(text: string): YamlParse {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (!Array.isArray(docs) || docs.length === 0) return { ok: false, problems: [emptyFile()] };
  const first = docs[0] as Document.Parsed;
  const problems: ConfigProblem[] = [];
  for (const error of first.errors) {
    const pos = position(error.pos[0]);
    const segments = pathAtOffset(first, error.pos[0]);
    problems.push(makeProblem(segments, { message: `YAML syntax: ${yamlMessage(error.message)}`, messageZh: 'YAML 语法错误', ...pos }));
  }
  const second = docs[1];
  if (second !== undefined) {
    const start = second.range[0];
    problems.push(
      makeProblem([], {
        message: 'the file holds more than one YAML document (a "---" line after the settings); keep everything in one document',
        messageZh: '文件里有多个 YAML 文档 ("---" 分隔), 只能有一个',
        ...position(start),
      }),
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  if (first.contents === null) return { ok: false, problems: [emptyFile()] };
  const data: unknown = first.toJS({ maxAliasCount: 1000 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      problems: [
        makeProblem([], {
          message: 'the top level must be a mapping of settings (lines like "buses:" and "sensors:")',
          expected: 'a mapping',
          messageZh: '顶层必须是键值映射 (如 "buses:" 和 "sensors:")',
          ...position(first.contents.range[0]),
        }),
      ],
    };
  }
  return {
    ok: true,
    source: {
      data,
      locate(segments, at = 'value') {
        const offset = offsetOf(first, segments, at);
        return offset === undefined ? undefined : position(offset);
      },
    },
  };
}

function emptyFile(): ConfigProblem {
  return makeProblem([], {
    message: 'the file is empty; expected at least "buses:" and "sensors:" (see config/example.yaml)',
    expected: 'a mapping with buses and sensors',
    messageZh: '配置文件是空的; 至少需要 "buses:" 和 "sensors:" (参见 config/example.yaml)',
  });
}

/** yaml's messages carry a code and sometimes a trailing position; keep the sentence. */
function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+.*$/s, '').trim();
}

function deref(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
}

function offsetOf(doc: Document.Parsed, segments: readonly PathSegment[], at: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = (node as Node | null)?.range?.[0];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    node = deref(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (pair === undefined) return best;
      const keyNode = pair.key as Node | null;
      if (last && at === 'key') return keyNode?.range?.[0] ?? best;
      best = keyNode?.range?.[0] ?? best;
      node = pair.value;
      if (last) return (node as Node | null)?.range?.[0] ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      const start = (node as Node | undefined)?.range?.[0];
      if (start === undefined) return best;
      best = start;
    } else {
      return best;
    }
  }
  return best;
}

/** The key path of the innermost node around an offset, so a syntax error can say where in the settings it is. */
function pathAtOffset(doc: Document.Parsed, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  const inside = (n: unknown): boolean => {
    const range = (n as Node | null)?.range;
    return range !== undefined && range !== null && range[0] <= offset && offset <= range[2];
  };
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => inside(p.key) || inside(p.value));
      const key = pair === undefined ? undefined : keyText(pair.key);
      if (pair === undefined || key === undefined) return path;
      path.push(key);
      if (!inside(pair.value)) return path;
      node = pair.value;
    } else if (isSeq(node) && !node.flow) {
      const index = node.items.findIndex(inside);
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}
