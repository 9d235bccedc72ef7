import { parseConfigText } from '../config/load.js';
import type { ConfigProblem } from '../config/problem.js';
import type { Config } from '../config/schema.js';
import type { SettingsSection } from './settings-store.js';

/** One problem of a settings change, as the API reports it: the full key path and what is wrong there. */
export interface SettingsProblem {
  readonly severity: 'error' | 'warning';
  /** Key path from the top of the config, e.g. `alarms.sites[0].sensors[0]`. */
  readonly path: string;
  readonly message: string;
  readonly messageZh?: string;
  readonly value?: string;
  readonly expected?: string;
}

export type SectionCheck =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly SettingsProblem[] }
  | { readonly ok: false; readonly problems: readonly SettingsProblem[] };

function toSettingsProblem(p: ConfigProblem): SettingsProblem {
  return {
    severity: p.severity,
    path: p.path,
    message: p.message,
    ...(p.messageZh === undefined ? {} : { messageZh: p.messageZh }),
    ...(p.value === undefined ? {} : { value: p.value }),
    ...(p.expected === undefined ? {} : { expected: p.expected }),
  };
}

/**
 * Pure: the whole config with one section replaced, checked exactly as a config file is (the zod schema, the
 * cross-checks, the alarm/dispatch/output references), so the API accepts what `fenghuo check-config` accepts
 * and words its refusals the same way. The candidate goes through the file parser as JSON (which is YAML).
 * Every error is listed; warnings are returned on success only when they concern the replaced section.
 */
export function checkWithSection(base: Config, section: SettingsSection, value: unknown): SectionCheck {
  const candidate: Record<string, unknown> = { ...base, [section]: value };
  let text: string;
  try {
    text = JSON.stringify(candidate);
  } catch (err) {
    return { ok: false, problems: [{ severity: 'error', path: section, message: `not serialisable as JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const result = parseConfigText(text);
  const inSection = (p: ConfigProblem): boolean => p.segments[0] === section;
  if (!result.ok) {
    const errors = result.problems.filter((p) => p.severity === 'error');
    return { ok: false, problems: (errors.length > 0 ? errors : result.problems).map(toSettingsProblem) };
  }
  return { ok: true, config: result.config, warnings: result.warnings.filter(inSection).map(toSettingsProblem) };
}
