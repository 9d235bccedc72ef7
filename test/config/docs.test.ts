import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { configSchema } from '../../node-daemon/config/schema.js';
import { packageRoot } from '../../node-daemon/core/paths.js';

/** The keys of the object schema inside defaults, optionals, arrays and unions (every variant's), if any. */
function keysOf(t: unknown, depth = 0): string[] {
  if (depth > 6) return [];
  if (t instanceof z.ZodObject) return Object.keys(t.shape);
  if (t instanceof z.ZodDefault || t instanceof z.ZodOptional) return keysOf(t.unwrap(), depth + 1);
  if (t instanceof z.ZodArray) return keysOf(t.element, depth + 1);
  if (t instanceof z.ZodUnion) return [...new Set(t.options.flatMap((o) => keysOf(o, depth + 1)))];
  return [];
}

const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
const configSection = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));

describe('the configuration is documented', () => {
  const sections = Object.entries(configSchema.shape).map(([key, schema]) => ({ key, keys: keysOf(schema) }));

  it.each(sections)('README names $key and each of its keys', ({ key, keys }) => {
    expect(configSection.includes(`\`${key}\``) || configSection.includes(`\`${key}[]\``), `README's Configuration section does not name ${key}`).toBe(true);
    const missing = keys.filter((k) => !configSection.includes(`\`${k}\``));
    expect(missing, `README's Configuration section does not name ${missing.join(', ')} of ${key}`).toEqual([]);
  });

  it('config/example.yaml shows the CAP export (site.cap), and it is valid', () => {
    const result = parseConfigText(readFileSync(join(packageRoot(), 'config', 'example.yaml'), 'utf8'));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config.site.cap?.senderCode).toMatch(/^\d{14}$/);
  });
});
