import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
} from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ZodObject, ZodTypeAny, ZodTypeDef, z } from 'zod';
import { ignoreOverride, zodToJsonSchema } from 'zod-to-json-schema';

/**
 * The REST contract of a route, declared once with the zod schemas its pipes already validate with: the OpenAPI
 * document is generated from it (bodies, parameters, responses and errors, each with a schema) and the contract test
 * checks that each route's pipes use the very schemas its contract names.
 */
export interface ApiContractSpec {
  summary: string;
  description?: string;
  /** Path parameters, by name. */
  params?: Record<string, ZodTypeAny>;
  /** The query, one documented parameter per property. */
  query?: ZodObject<z.ZodRawShape>;
  /** The JSON body: a schema given a name with `named`. */
  body?: ZodTypeAny;
  /**
   * The body is read raw and decoded by the handler, not by a pipe (a CloudEvent, structured or binary): what the
   * handler decodes with, and the content types it takes. The contract test then expects no body pipe.
   */
  rawBody?: { decodedBy: string; contentTypes: string[] };
  /** Request headers the route reads. */
  headers?: Record<string, { description: string; required?: boolean }>;
  response:
    | {
        status: number;
        schema: ZodTypeAny;
        description?: string;
        also?: { status: number; description: string }[];
      }
    | { status: number; contentType: string; description: string }
    | { status: 204; description: string };
  /** Error statuses the route answers with besides 400 (added when it takes input); the body is always `Error`. */
  errors?: number[];
}

export const API_CONTRACT = Symbol('API_CONTRACT');

const names = new Map<ZodTypeDef, string>();
const defOf = (s: ZodTypeAny): ZodTypeDef => s._def as ZodTypeDef;
const schemas = new Map<string, ZodTypeAny>();

/**
 * Gives a schema a name: it becomes `#/components/schemas/<name>`, referenced wherever it appears (in other schemas
 * too). `documentedAs` documents a schema that validates by hand (e.g. a recursive tree parsed for precise error
 * paths) with a declarative twin.
 */
export function named<S extends ZodTypeAny>(name: string, schema: S, documentedAs?: ZodTypeAny): S {
  const taken = schemas.get(name);
  if (taken && taken !== (documentedAs ?? schema))
    throw new Error(`OpenAPI schema name ${name} is used for two different schemas`);
  names.set(defOf(schema), name);
  if (documentedAs) names.set(defOf(documentedAs), name);
  schemas.set(name, documentedAs ?? schema);
  return schema;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function nameOf(schema: ZodTypeAny): string {
  const name = names.get(defOf(schema));
  if (!name) throw new Error('a body or response schema needs a name: wrap it in named(…)');
  return name;
}

/** The JSON schema of what a request may send (`input`: defaults optional, coercions as their input type). */
export function jsonSchema(schema: ZodTypeAny, root?: ZodTypeDef): Record<string, unknown> {
  const convert = zodToJsonSchema as unknown as (s: unknown, o: object) => object;
  let rootSeen = false;
  const out = convert(schema, {
    target: 'openApi3',
    $refStrategy: 'none',
    effectStrategy: 'input',
    pipeStrategy: 'input',
    dateStrategy: 'format:date-time',
    removeAdditionalStrategy: 'strict',
    override: (def: ZodTypeDef) => {
      // The component being defined is expanded once, at its top; inside (recursion) it is a reference.
      if (def === root && !rootSeen) {
        rootSeen = true;
        return ignoreOverride;
      }
      const name = names.get(def);
      return name ? ref(name) : ignoreOverride;
    },
  }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** A timestamp as the API answers it (a Date serialises to this). */
export const isoDateTime = z.string().datetime({ offset: true });

/** The error body every route answers with: `{ error: { code, message, details } }`. */
export const errorBody = named(
  'Error',
  z
    .object({
      error: z
        .object({
          code: z.string().describe('a stable code: VALIDATION, NOT_FOUND, CONFLICT, FORBIDDEN, …'),
          message: z.string(),
          details: z
            .object({
              fields: z
                .array(z.object({ field: z.string(), message: z.string() }).strict())
                .optional()
                .describe('for VALIDATION: each offending field, by its path'),
            })
            .passthrough()
            .optional(),
        })
        .strict(),
    })
    .strict(),
);

const ERROR_TEXT: Record<number, string> = {
  400: 'the request is malformed; `details.fields` names each offending field',
  401: 'no valid API key (or signature)',
  403: 'the key lacks the permission, or may not see this object',
  404: 'no such object',
  409: 'conflicts with the current state',
  413: 'the body is larger than the route accepts',
  422: 'understood but refused as it stands',
  429: 'too many requests; try again later',
  502: 'the provider refused',
  503: 'the provider is unavailable; try again later',
};

/** Declares a route's contract (see ApiContractSpec) and documents it. */
export function ApiContract(spec: ApiContractSpec): MethodDecorator {
  const decorators: MethodDecorator[] = [
    (target, key, descriptor) => {
      Reflect.defineMetadata(API_CONTRACT, spec, descriptor.value as object);
    },
    ApiOperation({ summary: spec.summary, description: spec.description }),
  ];
  for (const [name, schema] of Object.entries(spec.params ?? {}))
    decorators.push(ApiParam({ name, required: true, schema: jsonSchema(schema) }));
  for (const [name, schema] of Object.entries(spec.query?.shape ?? {}))
    decorators.push(
      ApiQuery({
        name,
        required: !schema.isOptional(),
        schema: jsonSchema(schema) as never,
        description: schema.description,
      }),
    );
  for (const [name, h] of Object.entries(spec.headers ?? {}))
    decorators.push(ApiHeader({ name, description: h.description, required: h.required ?? false }));
  if (spec.body) decorators.push(ApiBody({ schema: ref(nameOf(spec.body)) }));
  if (spec.rawBody) decorators.push(ApiConsumes(...spec.rawBody.contentTypes));
  const r = spec.response;
  if ('schema' in r) {
    decorators.push(
      ApiResponse({ status: r.status, description: r.description ?? 'OK', schema: ref(nameOf(r.schema)) }),
    );
    for (const a of r.also ?? [])
      decorators.push(
        ApiResponse({ status: a.status, description: a.description, schema: ref(nameOf(r.schema)) }),
      );
  } else if ('contentType' in r) {
    decorators.push(ApiProduces(r.contentType));
    decorators.push(
      ApiResponse({
        status: r.status,
        description: r.description,
        content: { [r.contentType]: { schema: { type: 'string' } } },
      }),
    );
  } else decorators.push(ApiResponse({ status: r.status, description: r.description }));
  const errors = new Set(spec.errors ?? []);
  if (spec.body || spec.query || spec.params) errors.add(400);
  for (const status of [...errors].sort())
    decorators.push(
      ApiResponse({ status, description: ERROR_TEXT[status] ?? 'error', schema: ref('Error') }),
    );
  return applyDecorators(...decorators);
}

/** Adds the named schemas to the document (`components.schemas`), each converted from its zod schema. */
export function addSchemas(doc: OpenAPIObject): OpenAPIObject {
  doc.components ??= {};
  doc.components.schemas ??= {};
  for (const [name, schema] of [...schemas].sort(([a], [b]) => a.localeCompare(b)))
    doc.components.schemas[name] = jsonSchema(schema, defOf(schema));
  return doc;
}

/** A route's declared contract, for the contract test. */
export function contractOf(handler: object): ApiContractSpec | undefined {
  return Reflect.getMetadata(API_CONTRACT, handler) as ApiContractSpec | undefined;
}
