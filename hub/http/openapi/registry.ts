import { z } from 'zod';
import type { OperationDoc, ParameterDoc, RequestBodyDoc, ResponseDoc } from '../../../node-daemon/http/openapi-doc.js';
import type { HubRole } from '../access.js';

/**
 * The hub's OpenAPI 3.1 document, put together from what each feature registers (GET /api/v1/openapi.json).
 *
 * How a feature adds its routes: beside its route file, export a `HubPathsDoc` (paths with the full /api/v1 prefix,
 * Hono's `:param` written OpenAPI's way, `{param}`), each operation with its `access`; name shared response shapes
 * with `.register(hubApiSchemas, { id })`; and in hub/http/app.ts, next to `app.route('/', xxxRoutes(…))`, add
 * `api.add(xxxPaths)`. The registry refuses a (path, method) documented twice. Free of I/O.
 */

/** Response shapes named in the hub document's `components.schemas` (apart from the box's registry). */
export const hubApiSchemas = z.registry<{ id: string }>();

/** Who may call an operation: anyone, a box (its request signed with its key, docs/sync-signatures.md), or a role. */
export type HubOperationAccess = 'public' | 'box' | HubRole;

export interface HubOperationDoc extends OperationDoc {
  readonly access: HubOperationAccess;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type HubPathsDoc = Readonly<Record<string, Partial<Readonly<Record<HttpMethod, HubOperationDoc>>>>>;

export type { OperationDoc, ParameterDoc, RequestBodyDoc, ResponseDoc };

const COMPONENTS = '#/components/schemas/';

type JsonSchema = { readonly [key: string]: unknown };

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/** A named shape as a `$ref`; an unnamed one inline (output side: what the hub answers). */
export function hubSchemaRef(schema: z.ZodType): JsonSchema {
  const id = hubApiSchemas.get(schema)?.id;
  if (id !== undefined) return { $ref: COMPONENTS + id };
  return withoutDialect(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema);
}

export const hubErrorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe('a stable machine code, e.g. bad_request, not_found, forbidden'),
      message: z.string().optional().describe('a sentence for people'),
      param: z.string().optional().describe('the parameter or field at fault'),
    }),
  })
  .register(hubApiSchemas, { id: 'Error' });

export function hubJsonResponse(description: string, schema: z.ZodType): ResponseDoc {
  return { description, content: { 'application/json': { schema: hubSchemaRef(schema) } } };
}

export function hubErrorResponse(description: string): ResponseDoc {
  return hubJsonResponse(description, hubErrorBodySchema);
}

/** A JSON request body as the client writes it (input side). */
export function hubJsonRequestBody(schema: z.ZodType): RequestBodyDoc {
  return { required: true, content: { 'application/json': { schema: withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema) } } };
}

/** One query parameter per property of a zod object schema (input side). */
export function hubQueryParameters(schema: z.ZodObject): ParameterDoc[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: json.required?.includes(name) ?? false, ...(typeof description === 'string' ? { description } : {}), schema: rest };
  });
}

export function hubPathParameter(name: string, description: string, schema: JsonSchema = { type: 'string' }): ParameterDoc {
  return { name, in: 'path', required: true, description, schema };
}

const securitySchemes = {
  bearer: { type: 'http', scheme: 'bearer', description: 'a hub token (config readTokenSha256, or an account\'s API token); only its SHA-256 is kept' },
  session: { type: 'apiKey', in: 'cookie', name: 'fenghuo_hub_session', description: 'the hub page\'s sign-in; a change also needs the X-CSRF-Token header' },
};

function withAccess(op: HubOperationDoc): Record<string, unknown> {
  const { access, ...doc } = op;
  const responses: Record<string, ResponseDoc> = { ...doc.responses, '500': hubErrorResponse('an unexpected failure; the hub log has the details') };
  if (access === 'public') return { ...doc, responses, security: [] };
  if (access === 'box') {
    return {
      ...doc,
      responses,
      security: [],
      'x-fenghuo-auth': 'box-signature',
      description: `${doc.description ?? ''} Signed by an enrolled box (HTTP Message Signatures, RFC 9421, Ed25519; docs/sync-signatures.md); answered signed by the county key.`.trim(),
    };
  }
  return {
    ...doc,
    'x-fenghuo-role': access,
    description: `${doc.description ?? ''} Needs the ${access} role (with no token configured: loopback clients read).`.trim(),
    responses: {
      ...responses,
      '401': hubErrorResponse('no credentials, or an unknown token'),
      '403': hubErrorResponse('the role is too low, or not loopback while no token is configured'),
    },
  };
}

export class HubApiRegistry {
  readonly #paths = new Map<string, Map<HttpMethod, HubOperationDoc>>();
  #doc: Record<string, unknown> | undefined;

  /** Adds a feature's paths; throws if one of its (path, method) pairs is documented already. */
  add(paths: HubPathsDoc): this {
    for (const [path, item] of Object.entries(paths)) {
      let ops = this.#paths.get(path);
      if (ops === undefined) {
        ops = new Map();
        this.#paths.set(path, ops);
      }
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (op === undefined) continue;
        if (ops.has(method)) throw new Error(`hub OpenAPI: ${method.toUpperCase()} ${path} is documented twice`);
        ops.set(method, op);
      }
    }
    this.#doc = undefined;
    return this;
  }

  /** The (path, method) pairs documented, e.g. `GET /api/v1/boxes`. */
  operations(): string[] {
    return [...this.#paths].flatMap(([path, ops]) => [...ops.keys()].map((m) => `${m.toUpperCase()} ${path}`));
  }

  /** The OpenAPI 3.1 document (built once per set of paths). */
  document(version: string): Record<string, unknown> {
    if (this.#doc !== undefined) return this.#doc;
    const paths: Record<string, Record<string, unknown>> = {};
    for (const [path, ops] of [...this.#paths].sort((a, b) => a[0].localeCompare(b[0]))) {
      paths[path] = Object.fromEntries([...ops].map(([m, op]) => [m, withAccess(op)]));
    }
    const { schemas } = z.toJSONSchema(hubApiSchemas, { io: 'output', unrepresentable: 'any', uri: (ref) => COMPONENTS + ref });
    this.#doc = {
      openapi: '3.1.0',
      info: {
        title: 'fenghuo county hub API',
        version,
        description: 'The county hub: township boxes, their readings and alarms, CAP 1.2, and the sync protocol (docs/sync.md). Times are UTC milliseconds; values are metres.',
      },
      paths,
      security: [{ bearer: [] }, { session: [] }],
      components: { schemas: Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, withoutDialect(s as JsonSchema)])), securitySchemes },
    };
    return this.#doc;
  }
}
