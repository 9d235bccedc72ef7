import type { ConfigProblem } from './problem.js';

export interface FormatOptions {
  /** File name to prefix each line with, compiler-style (`site.yaml:12:5: error: ...`). */
  readonly file?: string;
  /** Add the Chinese message on an indented line below, where there is one. */
  readonly zh?: boolean;
}

/** Problems as printable lines, one per problem (two with `zh`), e.g. `site.yaml:14:5: error: buses[1].baudRate: 9601 is not allowed; ...`. */
export function formatProblems(problems: readonly ConfigProblem[], opts: FormatOptions = {}): string[] {
  const lines: string[] = [];
  for (const p of problems) {
    let where = opts.file ?? '';
    if (where !== '' && p.line !== undefined) where += `:${p.line}:${p.column ?? 1}`;
    const head = where === '' ? `${p.severity}: ` : `${where}: ${p.severity}: `;
    lines.push(`${head}${p.path === '' ? '' : `${p.path}: `}${p.message}`);
    if (opts.zh === true && p.messageZh !== undefined) lines.push(`    ${p.messageZh}`);
  }
  return lines;
}

/** `2 errors, 1 warning`. */
export function summarizeProblems(problems: readonly ConfigProblem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return warnings === 0 ? plural(errors, 'error') : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
