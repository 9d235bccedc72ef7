import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** `update` of `GET /health`: what the last `fenghuo update` did (node-daemon/update/update-state.ts). Free of Node. */
export const updateHealthSchema = z
  .strictObject({
    at: z.int().describe('UTC ms: when the update (or manual rollback) started'),
    finishedAt: z.int().optional().describe('UTC ms: when its outcome was known'),
    kind: z.enum(['update', 'manual-rollback']),
    fromVersion: z.string().describe('the release running before'),
    toVersion: z.string().optional().describe('the release installed (absent when the install itself failed)'),
    outcome: z
      .enum(['in-progress', 'updated', 'rolled-back', 'failed'])
      .describe('updated: the new release answered healthy; rolled-back: it did not, the box went back to the previous release and the pre-update backup by itself; failed: nothing changed (e.g. the file was not a release); in-progress: still waiting for health, or interrupted'),
    reason: z.string().describe('in words, e.g. why the new release was not healthy'),
  })
  .register(apiSchemas, { id: 'UpdateHealth' });

export type UpdateHealth = z.output<typeof updateHealthSchema>;
