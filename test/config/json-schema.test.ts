import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigJsonSchema } from '../../node-daemon/config/json-schema.js';
import { packageRoot } from '../../node-daemon/core/paths.js';

describe('config/fenghuo.schema.json', () => {
  it('equals the schema generated from the zod schema (regenerate with `npm run schema`)', () => {
    const committed = readFileSync(join(packageRoot(), 'config', 'fenghuo.schema.json'), 'utf8');
    expect(committed).toBe(renderConfigJsonSchema());
  });

  it('is what config/example.yaml points editors at', () => {
    const example = readFileSync(join(packageRoot(), 'config', 'example.yaml'), 'utf8');
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=./fenghuo.schema.json');
  });

  it('rejects unknown keys and lists the allowed values, as the loader does', () => {
    const schema = JSON.parse(renderConfigJsonSchema()) as { additionalProperties: unknown; properties: Record<string, unknown> };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(['site', 'http', 'storage', 'profiles', 'buses', 'sensors', 'alarms', 'dispatch', 'outputs', 'sync', 'library', 'media', 'recording', 'station', 'uplinks', 'backup', 'cameras', 'sms']);
    expect(renderConfigJsonSchema()).toContain('115200');
  });
});
