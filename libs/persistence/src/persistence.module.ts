import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fg/common';
import { dataSourceOptions, runMigrations } from './data-source';
import { REPOSITORIES } from './repositories';
import { ReferenceCache } from './reference-cache';

/**
 * One DataSource per process, migrations applied at start-up under an advisory lock, and the repositories (the
 * only code that holds SQL for a table) for every app.
 */
@Global()
@Module({})
export class PersistenceModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    private readonly cache: ReferenceCache,
  ) {}

  /** `app` names the connections (`application_name`), so pg_stat_activity and the server log say which app. */
  static forRoot(app?: string): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          inject: [APP_CONFIG],
          useFactory: (cfg: AppConfig) =>
            new DataSource(dataSourceOptions(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE, app)),
        },
        {
          provide: ReferenceCache,
          inject: [APP_CONFIG],
          useFactory: (cfg: AppConfig) =>
            new ReferenceCache(
              cfg.REFERENCE_CACHE === 'on' ? cfg.DATABASE_URL : undefined,
              `feedback-gateway/${app ?? 'app'}`,
            ),
        },
        ...REPOSITORIES,
      ],
      exports: [DataSource, ReferenceCache, ...REPOSITORIES],
    };
  }

  async onModuleInit() {
    if (!this.ds.isInitialized) await this.ds.initialize();
    await runMigrations(this.ds);
    await this.cache.start();
  }

  /**
   * Last of a graceful stop (Nest's shutdown hooks run after every module's destroy and before-shutdown hooks):
   * the consumers and the outbox relay have stopped by now and no longer need the pool.
   */
  async onApplicationShutdown() {
    await this.cache.stop();
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
