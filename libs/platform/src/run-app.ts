import { Logger, Type } from '@nestjs/common';
import { ConfigError, ConfigRequirements, loadConfig } from '@fg/common';
import { createApp, initApp } from './create-app';

/** The `main.ts` of each production app: config from the environment only, validated before anything starts. */
export async function runApp(opts: {
  app: string;
  features: Type<unknown>[];
  requirements?: ConfigRequirements;
  openapi?: boolean;
}): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { kafka: true, ...opts.requirements });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${opts.app}: ${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const app = await initApp(
    await createApp({ app: opts.app, config, features: opts.features, openapi: opts.openapi }),
  );
  await app.listen(config.PORT, '0.0.0.0');
  // Graceful stop: the outbox relay finishes its batch, consumers leave their groups, the pool closes.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    new Logger('Shutdown').log(`${signal} received, shutting down`);
    // A stop that hangs (a peer that never answers) ends after 30 s anyway; what was in flight is safe (decision 0005).
    setTimeout(() => {
      new Logger('Shutdown').warn('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
