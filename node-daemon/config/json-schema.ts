import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of the YAML file, as an editor sees it: keys with defaults are optional. */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
  return { ...generated, title: 'fenghuo configuration' };
}

/** Exactly the text committed as config/fenghuo.schema.json and printed by `fenghuo schema`. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
