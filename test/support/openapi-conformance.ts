import { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { openApiDocument } from '@fg/platform';

type Doc = ReturnType<typeof openApiDocument>;

/**
 * Checks every JSON answer the gateway gives in a test against the OpenAPI document: a route whose contract is
 * declared must answer with a status it documents and a body its schema accepts. Installed by the Pipeline on the
 * gateway; the violations are asserted after each test file (test/setup/response-conformance.ts), so every
 * end-to-end test that calls the ops REST also checks the document against what the routes really answer.
 */
/** Every violation of the test file (its module registry), whichever pipeline found it. */
export const conformanceViolations: string[] = [];

export class ResponseConformance {
  readonly violations = conformanceViolations;
  checked = 0;
  private doc?: Doc;
  private ajv?: InstanceType<typeof Ajv>;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly app: INestApplication) {}

  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        try {
          // What the client receives: dates as ISO strings, undefined fields absent.
          this.check(req, res.statusCode, body === undefined ? body : JSON.parse(JSON.stringify(body)));
        } catch (e) {
          this.violations.push(`${req.method} ${req.originalUrl}: the check failed: ${(e as Error).message}`);
        }
        return json(body);
      };
      next();
    };
  }

  private check(req: Request, status: number, body: unknown) {
    const route = (req.route as { path?: string } | undefined)?.path;
    if (!route) return;
    this.doc ??= openApiDocument(this.app);
    const path = `${req.baseUrl ?? ''}${route}`.replace(/:([A-Za-z]+)/g, '{$1}');
    const op = (
      this.doc.paths[path] as Record<string, { responses?: Record<string, unknown> }> | undefined
    )?.[req.method.toLowerCase()];
    const responses = op?.responses as
      Record<string, { content?: Record<string, { schema?: object }> }> | undefined;
    // Routes whose contract is still pending document no schema: nothing to check yet.
    const declared = Object.values(responses ?? {}).some((r) => r.content?.['application/json']?.schema);
    if (!declared) return;
    const where = `${req.method} ${path} → ${status}`;
    const schema = responses?.[String(status)]?.content?.['application/json']?.schema;
    if (!schema) {
      this.violations.push(`${where}: status not documented`);
      return;
    }
    const validate = this.validator(`${where}`, schema);
    this.checked++;
    if (!validate(body))
      this.violations.push(
        `${where}: ${this.ajv!.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`,
      );
  }

  private validator(key: string, schema: object): ValidateFunction {
    if (!this.ajv) {
      this.ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(this.ajv);
      this.ajv.addSchema({ id: 'openapi', components: withNullAsType(this.doc!.components) }, 'openapi');
    }
    let v = this.validators.get(key);
    if (!v) {
      const rebased = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'),
      );
      v = this.ajv.compile(rebased as object);
      this.validators.set(key, v);
    }
    return v;
  }
}

/**
 * OpenAPI 3.0's `nullable` as plain JSON Schema (`anyOf: [the schema, { type: "null" }]`): Ajv refuses `nullable`
 * without a `type` (a `$ref` wrapped in `allOf`) and would not let null through an `enum` that lacks it.
 */
function withNullAsType<T>(node: T): T {
  if (Array.isArray(node)) return node.map(withNullAsType) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = withNullAsType(v);
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] } as T;
  }
  return out as T;
}
