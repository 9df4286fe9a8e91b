import 'reflect-metadata';
import { DynamicModule, INestApplication, LoggerService, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, raw, urlencoded } from 'express';
import type { NextFunction, Request, Response } from 'express';
import {
  AppConfig,
  AppLogger,
  Clock,
  CoreModule,
  OPS_SURFACE_AUTH,
  OpsSurfaceAuth,
  requestCorrelationId,
  withCorrelation,
} from '@fg/common';
import { MessageTransport, MessagingModule, MessagingService, MessagingStrategy } from '@fg/messaging';
import { PersistenceModule } from '@fg/persistence';
import { DomainErrorFilter } from './domain-error.filter';
import { NoNulPipe } from './no-nul.pipe';
import { addSchemas } from './api-contract';

export interface AppSpec {
  /** The app's name: logs, metrics, CloudEvents source, consumer groups and outbox origin. */
  app: string;
  config: AppConfig;
  features: Type<unknown>[];
  /** The embedded mode's in-process transport; Kafka from config otherwise. */
  transport?: MessageTransport;
  clock?: Clock;
  /** Another logger, or none (`false`: tests); pino (nestjs-pino) otherwise. */
  logger?: LoggerService | false;
  /** Serve the OpenAPI document (gateway and embedded). */
  openapi?: boolean;
}

@Module({})
class RootModule {}

/** Body limits above the default 1 MB (JSON) / 100 kB (forms), by route. */
export const LARGE_BODY_ROUTES: Record<string, string> = { '/ops/contacts': '16mb' };
/** Routes whose body reaches the handler as bytes (`req.body` is a Buffer). */
export const RAW_BODY_ROUTES: Record<string, string> = { '/webhooks/sendgrid': '5mb' };

/**
 * Builds an app: core (config, metrics, health), Postgres with migrations, messaging, and its feature modules.
 * Start it with `initApp` (or `initApp` then `listen`): `app.init()` alone starts no consumers.
 */
export async function createApp(spec: AppSpec): Promise<INestApplication> {
  const root: DynamicModule = {
    module: RootModule,
    imports: [
      CoreModule.forRoot({
        app: spec.app,
        config: spec.config,
        clock: spec.clock,
        logLevel: spec.logger === false ? 'silent' : undefined,
      }),
      PersistenceModule.forRoot(spec.app),
      MessagingModule.forRoot({ app: spec.app, transport: spec.transport }),
      ...spec.features,
    ],
  };
  const app = await NestFactory.create(root, {
    logger: spec.logger === false ? false : undefined,
    bufferLogs: spec.logger !== false,
    rawBody: true,
    abortOnError: false,
  });
  if (spec.logger !== false) app.useLogger(spec.logger ?? app.get(AppLogger));
  // Routes documented to take more than the usual megabyte (bulk contacts: up to 10 000 per call) get their own
  // limit, registered first so the general parser sees the body already read; past it, 413.
  for (const [path, limit] of Object.entries(LARGE_BODY_ROUTES))
    (app as NestExpressApplication).use(path, json({ limit, type: ['application/json'] }));
  // Signed webhooks whose signature covers the raw bytes: kept as bytes, verified before anything parses them,
  // so whatever is forged is a 401, never a 400 from a parser.
  for (const [path, limit] of Object.entries(RAW_BODY_ROUTES))
    (app as NestExpressApplication).use(path, raw({ limit, type: () => true }));
  // Twilio posts forms (its signature covers the URL and the form's fields); any other body stays bytes, so a
  // forged request is refused by the signature check (401) rather than by a JSON parser (400).
  (app as NestExpressApplication).use(
    '/webhooks/twilio',
    urlencoded({ extended: false, limit: '100kb' }),
    raw({ limit: '100kb', type: () => true }),
  );
  // CloudEvents structured mode arrives as application/cloudevents+json; keep the raw bytes for signatures.
  (app as NestExpressApplication).useBodyParser('json', {
    type: ['application/json', 'application/*+json'],
    limit: '1mb',
  });
  // Registered explicitly: Nest adds its default form parser only when none is in the stack, and the Twilio
  // routes' own one above would count as one.
  (app as NestExpressApplication).useBodyParser('urlencoded', { extended: true, limit: '100kb' });
  // Every request has a correlation id (the caller's X-Correlation-Id, or a new one), echoed in the response; its
  // access-log line, the lines logged while it is handled and the events it publishes carry it. Registered after
  // the body parsers, whose stream callbacks would lose the async context.
  (app as NestExpressApplication).use((req: Request, res: Response, next: NextFunction) => {
    const id = requestCorrelationId(req);
    (req as Request & { id: string }).id = id;
    res.setHeader('X-Correlation-Id', id);
    withCorrelation(id, next);
  });
  app.useGlobalFilters(new DomainErrorFilter());
  app.useGlobalPipes(new NoNulPipe());
  (app as NestExpressApplication).disable('x-powered-by');
  if (spec.config.TRUST_PROXY) {
    const t = spec.config.TRUST_PROXY;
    (app as NestExpressApplication).set('trust proxy', /^\d+$/.test(t) ? Number(t) : t === 'true' ? true : t);
  }
  guardOpsSurfaces(app);
  if (spec.openapi) setupOpenApi(app);
  // Each app is also a Nest microservice: its `@EventPattern` handlers are served by our transport strategy.
  // It shares the app's global filter (DomainErrorFilter rethrows to handlers, so dead letters keep the reason).
  app.connectMicroservice(
    { strategy: new MessagingStrategy(app.get(MessagingService)) },
    { inheritAppConfig: true },
  );
  return app;
}

/**
 * `/metrics` and `/docs` answer only to who the app's OpsSurfaceAuth lets in (the gateway: an API key). Registered
 * on Express before Swagger's and Nest's routes, so it runs first. Apps without one keep them open (internal port).
 */
function guardOpsSurfaces(app: INestApplication) {
  let auth: OpsSurfaceAuth | null | undefined;
  const resolve = () => {
    if (auth === undefined) {
      try {
        auth = app.get<OpsSurfaceAuth>(OPS_SURFACE_AUTH, { strict: false });
      } catch {
        auth = null;
      }
    }
    return auth;
  };
  const guard = (surface: 'metrics' | 'docs') => (req: Request, res: Response, next: NextFunction) => {
    const a = resolve();
    if (!a) return next();
    a.check(req.header('authorization'), surface).then(
      (refused) => {
        if (!refused) return next();
        if (refused.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="feedback-gateway ops"');
        res.status(refused.status).json({
          error: { code: refused.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', message: refused.message },
        });
      },
      (e: unknown) => next(e),
    );
  };
  const http = app as NestExpressApplication;
  http.use('/metrics', guard('metrics'));
  http.use('/docs', guard('docs'));
}

/** Initializes an app (migrations, modules), then starts its consumers, relay and pruner. */
export async function initApp(app: INestApplication): Promise<INestApplication> {
  await app.init();
  await app.startAllMicroservices();
  return app;
}

export function setupOpenApi(app: INestApplication) {
  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
}

/** The ops REST's OpenAPI document: routes from Nest, schemas from the routes' zod contracts. */
export function openApiDocument(app: INestApplication) {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('feedback-gateway ops API')
      .setDescription(
        'Ops REST of feedback-gateway. Every endpoint needs an API key (Authorization: Bearer fgk_…) carrying the permission it names.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  return addSchemas(doc);
}
