import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { uplinksSchema, type UplinksConfig } from '../uplinks/sl651/config-schema.js';
import { crossCheck } from './cross-check.js';
import { makeProblem, renderValue, type ConfigProblem } from './problem.js';
import { parseYamlSource } from './yaml-source.js';
import { problemsFromZodIssues } from './zod-problems.js';

/** The sections a file given to the demo (`fenghuo run --with FILE`) may add to the embedded demo's config. */
export const DEMO_OVERLAY_KEYS = ['uplinks'] as const;

export interface DemoOverlay {
  readonly uplinks?: UplinksConfig;
}

export type DemoOverlayResult = { readonly ok: true; readonly overlay: DemoOverlay } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

const overlaySchema = z.strictObject({ uplinks: uplinksSchema.optional() });

/**
 * Reads a YAML file of sections to add to the embedded demo (e.g. an `uplinks.sl651` block that reports the demo's
 * gauges to a centre), checked like a config file: the schema, and references to the demo's sensors and sites.
 */
export async function loadDemoOverlay(file: string, demo: { readonly sensorIds: readonly string[]; readonly siteIds: readonly string[] }): Promise<DemoOverlayResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [makeProblem([], { message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, messageZh: `无法读取 ${file}` })] };
  }
  const parsed = parseYamlSource(text);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  const { data, locate } = parsed.source;
  const problems: ConfigProblem[] = [];
  const root = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  for (const key of Object.keys(root)) {
    if (!(DEMO_OVERLAY_KEYS as readonly string[]).includes(key)) {
      problems.push(makeProblem([key], { value: renderValue(key), message: `the demo takes only ${DEMO_OVERLAY_KEYS.join(', ')} from --with; run your own site with --config for the rest`, expected: DEMO_OVERLAY_KEYS.join(', ') }));
    }
  }
  const result = overlaySchema.safeParse(Object.fromEntries(Object.entries(root).filter(([k]) => (DEMO_OVERLAY_KEYS as readonly string[]).includes(k))));
  if (!result.success) problems.push(...problemsFromZodIssues(result.error.issues, data, overlaySchema));
  const flagged = new Set(problems.map((p) => p.path));
  // References to the demo's own sensors and sites, checked as a config file's would be.
  const asSite = { alarms: { sites: demo.siteIds.map((id) => ({ id })) }, sensors: demo.sensorIds.map((id) => ({ id })) };
  for (const p of crossCheck({ ...asSite, uplinks: root.uplinks })) {
    if (p.path.startsWith('uplinks') && p.severity === 'error' && !flagged.has(p.path)) problems.push(p);
  }
  if (problems.length > 0 || !result.success) return { ok: false, problems: problems.map((p) => ({ ...p, ...locate(p.segments, 'key') })) };
  return { ok: true, overlay: result.data.uplinks === undefined ? {} : { uplinks: result.data.uplinks } };
}
