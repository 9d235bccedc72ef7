import type { z } from 'zod';
import type { mediaHealthSchema } from '../http/schemas/library.js';

/**
 * The disk quota in `GET /api/v1/health` (`media`), typed from its schema (node-daemon/http/schemas/library.ts) so
 * the answer and the OpenAPI document cannot drift apart.
 */
export type MediaHealth = z.output<typeof mediaHealthSchema>;
