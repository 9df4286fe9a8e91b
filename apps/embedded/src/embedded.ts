import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { INestApplication, LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { AppConfig, freePort, loadConfig } from '@fg/common';
import { InProcessTransport } from '@fg/messaging';
import { createApp, initApp } from '@fg/platform';
import { ApiKeyService, GatewayModule, PERMISSIONS } from '@fg/gateway';
import { LinkIssuerModule } from '@fg/link-issuer';
import { RulesModule } from '@fg/rules';
import { SenderEmailModule } from '@fg/sender-email';
import { SenderSmsModule } from '@fg/sender-sms';
import { SenderWhatsappModule } from '@fg/sender-whatsapp';
import { seedDemoData } from './demo-data';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** The address to listen on: 127.0.0.1 by default; 0.0.0.0 in a container, so the port can be published. */
  host?: string;
  env?: NodeJS.ProcessEnv;
  logger?: LoggerService | false;
}

export interface Embedded {
  app: INestApplication;
  config: AppConfig;
  baseUrl: string;
  demoApiKey: string;
  stop(): Promise<void>;
}

interface LocalSecrets {
  linkSigningSecret: string;
  demoApiKey: string;
}

/**
 * Every app in one process on embedded engines: PGlite served over the Postgres wire protocol (so the same
 * TypeORM/pg code runs), the in-process transport instead of Kafka, and sandbox channel providers. Data and
 * the generated local secrets live in `dataDir` and survive restarts.
 */
export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  // The data (and the local secrets) are the operator's alone: owner-only modes, whatever the umask says.
  const umask = process.umask(0o077);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  ownerOnly(opts.dataDir);
  const secrets = loadOrCreateSecrets(join(opts.dataDir, 'secrets.json'));
  const env = opts.env ?? process.env;

  const db = await PGlite.create(join(opts.dataDir, 'pglite'));
  const dbPort = await freePort();
  // PGlite runs one query at a time; one connection keeps transactions from interleaving.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: dbPort, maxConnections: 1 });
  await server.start();

  const publicBaseUrl = env.PUBLIC_BASE_URL ?? `http://localhost:${opts.port}`;
  const config = loadConfig({
    ...env,
    KAFKA_BROKERS: undefined,
    DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${dbPort}/postgres`,
    DATABASE_POOL_SIZE: '1',
    // The cache listens on a connection of its own; PGlite serves one.
    REFERENCE_CACHE: 'off',
    CHANNEL_PROVIDERS: 'sandbox',
    PUBLIC_BASE_URL: publicBaseUrl,
    LINK_SIGNING_SECRET: env.LINK_SIGNING_SECRET ?? secrets.linkSigningSecret,
    PORT: String(opts.port),
  });
  const app = await createApp({
    app: 'embedded',
    config,
    transport: new InProcessTransport(),
    openapi: true,
    logger: opts.logger,
    features: [
      GatewayModule,
      RulesModule,
      LinkIssuerModule,
      SenderEmailModule,
      SenderSmsModule,
      SenderWhatsappModule,
    ],
  });
  try {
    await initApp(app);
    await seedDemoData(app);
    await app
      .get(ApiKeyService)
      .ensure('00000000-0000-4000-8000-00000000de00', 'embedded demo key', secrets.demoApiKey, PERMISSIONS);
    await app.listen(opts.port, opts.host ?? '127.0.0.1');
  } catch (e) {
    await app.close().catch(() => undefined);
    await server.stop();
    await db.close();
    process.umask(umask);
    throw e;
  }
  return {
    app,
    config,
    baseUrl: publicBaseUrl,
    demoApiKey: secrets.demoApiKey,
    stop: async () => {
      await app.close();
      await server.stop();
      await db.close();
      process.umask(umask);
    },
  };
}

/** Removes group and other permissions from a directory and everything in it (data written by older versions). */
function ownerOnly(path: string) {
  const st = statSync(path);
  chmodSync(path, st.mode & 0o700);
  if (st.isDirectory()) for (const name of readdirSync(path)) ownerOnly(join(path, name));
}

function loadOrCreateSecrets(file: string): LocalSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const s: LocalSecrets = {
    linkSigningSecret: randomBytes(32).toString('base64url'),
    demoApiKey: `fgk_${randomBytes(24).toString('base64url')}`,
  };
  writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}
