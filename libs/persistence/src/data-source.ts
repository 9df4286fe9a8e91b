import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MigrationExecutor } from 'typeorm/migration/MigrationExecutor';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export function dataSourceOptions(url: string, poolSize = 10, applicationName?: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: poolSize },
    ...(applicationName ? { applicationName: `feedback-gateway/${applicationName}` } : {}),
  };
}

const MIGRATION_LOCK = 7_411_001;

/**
 * Applies pending migrations while holding a Postgres advisory lock, so several apps starting at once
 * don't race. Uses one connection for lock and migrations (works with a pool of one, as in embedded mode).
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    await qr.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const executed = await new MigrationExecutor(ds, qr).executePendingMigrations();
      return executed.map((m) => m.name);
    } finally {
      await qr.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await qr.release();
  }
}

/** For the TypeORM CLI: `npx typeorm migration:run -d dist/libs/persistence/src/data-source.js`. */
export default new DataSource(
  dataSourceOptions(process.env.DATABASE_URL ?? 'postgres://localhost/feedback_gateway'),
);
