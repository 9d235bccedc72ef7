import { z } from 'zod';

/** Response shapes named in the OpenAPI document's `components.schemas`, kept apart from zod's global registry. */
export const apiSchemas = z.registry<{ id: string }>();
