import { Type } from '@nestjs/common';
import { ConfigError, ConfigRequirements, loadConfig } from '@fg/common';
import { createApp } from './create-app';

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
  const app = await createApp({ app: opts.app, config, features: opts.features, openapi: opts.openapi });
  app.enableShutdownHooks();
  await app.listen(config.PORT, '0.0.0.0');
}
