import { z } from 'zod';
import { apiSchemas } from './api-registry.js';
import { errorBodySchema } from './errors.js';

/** Just enough of OpenAPI 3.1's object model for this API's documentation. */
export type JsonSchema = { readonly [key: string]: unknown };

export interface ParameterDoc {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

export interface ResponseDoc {
  readonly description: string;
  readonly content?: Readonly<Record<string, { readonly schema: JsonSchema }>>;
}

export interface RequestBodyDoc {
  readonly required: boolean;
  readonly content: Readonly<Record<string, { readonly schema: JsonSchema }>>;
}

export interface OperationDoc {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly parameters?: readonly ParameterDoc[];
  readonly requestBody?: RequestBodyDoc;
  readonly responses: Readonly<Record<string, ResponseDoc>>;
}

export interface PathItemDoc {
  readonly get?: OperationDoc;
  readonly post?: OperationDoc;
}

export type PathsDoc = Readonly<Record<string, PathItemDoc>>;

const COMPONENTS = '#/components/schemas/';

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/**
 * A JSON Schema converted from zod on first use. The route files describe their operations when they are imported,
 * at start; the OpenAPI document is only built when asked for (issue #16: start-up time and the garbage of hundreds
 * of conversions), so the conversion waits until a property is read (JSON.stringify, spread, access all work).
 */
function lazySchema(make: () => JsonSchema): JsonSchema {
  let value: JsonSchema | undefined;
  const get = (): JsonSchema => (value ??= make());
  return new Proxy<JsonSchema>(
    {},
    {
      get: (_t, key) => Reflect.get(get(), key) as unknown,
      has: (_t, key) => Reflect.has(get(), key),
      ownKeys: () => Reflect.ownKeys(get()),
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(get(), key);
        return d === undefined ? undefined : { ...d, configurable: true };
      },
    },
  );
}

/** A named response shape as a `$ref`; an unnamed one inline. */
export function schemaRef(schema: z.ZodType): JsonSchema {
  const id = apiSchemas.get(schema)?.id;
  if (id !== undefined) return { $ref: COMPONENTS + id };
  return lazySchema(() => withoutDialect(z.toJSONSchema(schema, { io: 'output' })));
}

/** Every named response shape, for `components.schemas`. */
export function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(apiSchemas, { io: 'output', uri: (ref) => COMPONENTS + ref });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, withoutDialect(s as JsonSchema)]));
}

export function jsonResponse(description: string, schema: z.ZodType): ResponseDoc {
  return { description, content: { 'application/json': { schema: schemaRef(schema) } } };
}

/** A JSON request body, described as the client writes it (input side). */
export function jsonRequestBody(schema: z.ZodType): RequestBodyDoc {
  const body = lazySchema(() => {
    const input = withoutDialect(z.toJSONSchema(schema, { io: 'input' }));
    // A preprocessed field (such as a time) reads as optional on the input side; the output side knows it is required.
    const { required } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as { required?: string[] };
    return required === undefined ? input : { ...input, required };
  });
  return { required: true, content: { 'application/json': { schema: body } } };
}

export function errorResponse(description: string): ResponseDoc {
  return jsonResponse(description, errorBodySchema);
}

/** One query parameter per property of a zod object schema, described as the client writes it (input side). */
export function queryParameters(schema: z.ZodObject): ParameterDoc[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: json.required?.includes(name) ?? false,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

export function pathParameter(name: string, schema: z.ZodType): ParameterDoc {
  const { description, ...rest } = withoutDialect(z.toJSONSchema(schema, { io: 'input' }));
  return { name, in: 'path', required: true, ...(typeof description === 'string' ? { description } : {}), schema: rest };
}
