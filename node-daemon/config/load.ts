import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { configSchema, type Config } from './schema.js';
import { crossCheck, type CrossCheckOptions } from './cross-check.js';
import { checkAlarmsAndOutputs } from './alarm-check.js';
import { checkProfiles } from './profile-check.js';
import { checkVoices } from './voice-check.js';
import { makeProblem, type ConfigProblem } from './problem.js';
import { parseYamlSource } from './yaml-source.js';
import { problemsFromZodIssues } from './zod-problems.js';

export type { ConfigProblem } from './problem.js';

export type ConfigLoadResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/**
 * Validates the text of a YAML configuration file. Every problem found is returned at once (schema, then
 * cross-references), in file order, so an installer can fix them all in one edit. Warnings alone do not fail.
 */
export function parseConfigText(text: string, opts: CrossCheckOptions = {}): ConfigLoadResult {
  const parsed = parseYamlSource(text);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  const { data, locate } = parsed.source;
  const result = configSchema.safeParse(data);
  const schemaProblems = result.success ? [] : problemsFromZodIssues(result.error.issues, data, configSchema);
  const flagged = new Set(schemaProblems.map((p) => p.path));
  // A field the schema already rejected would only repeat itself as a bad reference.
  const crossProblems = crossCheck(data, opts).filter((p) => !flagged.has(p.path));
  const profileProblems = result.success ? [...checkProfiles(result.data), ...checkAlarmsAndOutputs(result.data, data)] : [];
  const all = [...schemaProblems, ...crossProblems, ...profileProblems].map((p) => ({ ...p, ...locate(p.segments, 'key') }));
  all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const errors = all.filter((p) => p.severity === 'error');
  if (!result.success || errors.length > 0) return { ok: false, problems: all };
  return { ok: true, config: result.data, warnings: all };
}

/** Reads and validates a configuration file; an unreadable file is a problem like any other. */
export async function loadConfigFile(file: string): Promise<ConfigLoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [makeProblem([], { message: `cannot read ${file}: ${readFailure(err)}`, messageZh: `无法读取 ${file}` })] };
  }
  const result = parseConfigText(text, { resolveSerialPath: realSerialPath });
  if (!result.ok) return result;
  const voiceProblems = await checkVoices(result.config);
  if (voiceProblems.length === 0) return result;
  const parsed = parseYamlSource(text);
  const located = voiceProblems.map((p) => ({ ...p, ...(parsed.ok ? parsed.source.locate(p.segments, 'key') : {}) }));
  const errors = located.filter((p) => p.severity === 'error');
  if (errors.length > 0) return { ok: false, problems: [...located, ...result.warnings] };
  return { ...result, warnings: [...result.warnings, ...located] };
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/** /dev/serial/by-id links and /dev/ttyUSB0 may name the same port; an unplugged adapter keeps its written path. */
function realSerialPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
