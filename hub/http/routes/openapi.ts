import { Hono } from 'hono';
import { packageVersion } from '../../../node-daemon/health/package-version.js';
import { API_PREFIX, type HubEnv } from '../deps.js';
import type { HubApiRegistry, HubPathsDoc } from '../openapi/registry.js';

export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

/** `GET /api/v1/openapi.json`: the hub's OpenAPI 3.1 document, from every feature's registered paths. Public, as the box's. */
export function openapiRoutes(api: HubApiRegistry): Hono<HubEnv> {
  const version = packageVersion();
  return new Hono<HubEnv>().get(OPENAPI_PATH, (c) => c.json(api.document(version), 200));
}

export const openapiPaths: HubPathsDoc = {
  [OPENAPI_PATH]: {
    get: { access: 'public', operationId: 'getOpenApi', summary: 'This document', responses: { '200': { description: 'the OpenAPI 3.1 document' } } },
  },
};
