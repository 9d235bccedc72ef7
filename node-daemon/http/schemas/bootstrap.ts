import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';
import { alarmListSchema } from '../alarm-schemas.js';
import { healthSchema } from '../schemas.js';
import { authStateSchema } from './auth.js';
import { outputsSnapshotSchema } from './outputs.js';
import { sitesBodySchema } from './sites.js';
import { systemBodySchema } from './system.js';

/**
 * The answer of `GET /bootstrap` (routes/bootstrap.ts): what the web UI's first screen needs, in one request instead
 * of six in a row. Each part is exactly the answer of its own route, taken at the same moment; a part whose route the
 * box does not serve (404 there) is null. Free of Node: the web UI's contract (contract.ts) reads it.
 */
export const bootstrapSchema = z
  .strictObject({
    ts: z.int().describe('UTC ms when the parts were taken'),
    // as GET /auth/state and GET /health (not described here: a described copy would be inlined, not a $ref)
    auth: authStateSchema,
    system: systemBodySchema.nullable().describe('as GET /system; null when the box serves no /system'),
    health: healthSchema,
    sites: sitesBodySchema.nullable().describe('as GET /sites; null when the box serves no /sites'),
    activeAlarms: alarmListSchema.nullable().describe('as GET /alarms?state=active&limit=200; null when the box serves no /alarms'),
    outputs: outputsSnapshotSchema.nullable().describe('as GET /outputs; null when the box serves no /outputs'),
  })
  .register(apiSchemas, { id: 'Bootstrap' });
