import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import SwaggerParser from '@apidevtools/swagger-parser';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@fg/common';
import { InProcessTransport } from '@fg/messaging';
import { ZodPipe, contractOf, createApp, initApp, openApiDocument } from '@fg/platform';
import { GatewayModule } from './gateway.module';

/**
 * Routes whose contract is not declared yet: each would still appear in the document, without schemas. Empty now;
 * a new route without a contract fails this test.
 */
const PENDING = new Set<string>([]);

interface Route {
  key: string;
  handler: object;
  controller: new (...args: never[]) => unknown;
  method: string;
}

/** Every HTTP route Nest serves in the gateway (documented or not), as `METHOD /path/{param}`. */
function routesOf(app: INestApplication): Route[] {
  const scanner = new MetadataScanner();
  const out: Route[] = [];
  const wrappers = [...app.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.values()]);
  for (const wrapper of wrappers) {
    const controller = wrapper.metatype as Route['controller'];
    if (!controller) continue;
    const base = (Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '';
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, object>)[name];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (path === undefined) continue;
      const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      for (const p of Array.isArray(path) ? path : [path]) {
        const full = `/${[base, p].filter((x) => x && x !== '/').join('/')}`.replace(/\/+/g, '/');
        out.push({
          key: `${verb} ${full.replace(/:([A-Za-z]+)/g, '{$1}')}`,
          handler,
          controller,
          method: name,
        });
      }
    }
  }
  return out;
}

/** The zod schemas a route's pipes validate its body, query and path parameters with. */
function pipeSchemas(route: Route) {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.method) ?? {}) as Record<
    string,
    { data?: string; pipes?: unknown[] }
  >;
  const found: { body?: unknown; query?: unknown; params: Record<string, unknown> } = { params: {} };
  for (const [key, arg] of Object.entries(args)) {
    const type = Number(key.split(':')[0]) as RouteParamtypes;
    const zod = arg.pipes?.find((p): p is ZodPipe<never> => p instanceof ZodPipe)?.schema;
    if (!zod) continue;
    if (type === RouteParamtypes.BODY) found.body = zod;
    if (type === RouteParamtypes.QUERY) found.query = zod;
    if (type === RouteParamtypes.PARAM && arg.data) found.params[arg.data] = zod;
  }
  return found;
}

describe('the OpenAPI document and the routes', () => {
  let app: INestApplication;
  let doc: ReturnType<typeof openApiDocument>;
  let routes: Route[];

  beforeAll(async () => {
    app = await initApp(
      await createApp({
        app: 'gateway',
        config: loadConfig({
          DATABASE_URL: process.env.FG_MEDIUM_DATABASE_URL,
          PUBLIC_BASE_URL: 'https://surveys.example.test',
          LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
          REFERENCE_CACHE: 'off',
          LOG_LEVEL: 'error',
        }),
        features: [GatewayModule],
        transport: new InProcessTransport(),
        openapi: true,
        logger: false,
      }),
    );
    doc = openApiDocument(app);
    routes = routesOf(app).filter((r) => r.key.includes(' /ops/') || r.key.includes(' /events/'));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is a valid OpenAPI document', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents every ops route, and every route declares its contract (but those still pending)', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((verb) => `${verb.toUpperCase()} ${path}`),
      ),
    );
    expect(routes.map((r) => r.key).filter((k) => !documented.has(k))).toEqual([]);
    const undeclared = routes.filter((r) => !contractOf(r.handler)).map((r) => r.key);
    expect(undeclared.filter((k) => !PENDING.has(k))).toEqual([]);
    // A route that got its contract leaves the pending list.
    expect([...PENDING].filter((k) => !undeclared.includes(k))).toEqual([]);
  });

  it("validates each declared route's input with the very schemas its contract documents", () => {
    for (const route of routes) {
      const c = contractOf(route.handler);
      if (!c) continue;
      const pipes = pipeSchemas(route);
      // A raw body decoded by the handler (a CloudEvent) has no pipe; every other documented body is its pipe's.
      expect({ route: route.key, body: pipes.body }).toEqual({
        route: route.key,
        body: c.rawBody ? undefined : c.body,
      });
      expect({ route: route.key, query: pipes.query }).toEqual({ route: route.key, query: c.query });
      expect({ route: route.key, params: pipes.params }).toEqual({
        route: route.key,
        params: c.params ?? {},
      });
    }
  });

  it('gives every declared operation typed bodies, parameters, responses and errors', () => {
    for (const route of routes.filter((r) => contractOf(r.handler))) {
      const [verb, path] = route.key.split(' ');
      const op = (doc.paths[path] as Record<string, Record<string, unknown>>)[verb.toLowerCase()];
      const params = (op.parameters ?? []) as { name: string; schema?: unknown }[];
      for (const p of params)
        expect({ route: route.key, param: p.name, typed: !!p.schema }).toMatchObject({ typed: true });
      const responses = op.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>;
      for (const [status, r] of Object.entries(responses)) {
        if (status === '204') continue;
        const schemas = Object.values(r.content ?? {}).map((m) => m.schema);
        expect({
          route: route.key,
          status,
          typed: schemas.length > 0 && schemas.every(Boolean),
        }).toMatchObject({
          typed: true,
        });
      }
    }
  });
});
