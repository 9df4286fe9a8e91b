import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '../../libs/persistence/src/data-source';

/**
 * Medium tests (a service with its real repositories on Postgres, no broker): a database of their own on the
 * Postgres at TEST_DATABASE_URL (default: this machine's), migrations applied once per run.
 */
export default async function mediumSetup(): Promise<void> {
  const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `fg_medium_${Date.now()}_${process.pid}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  process.env.FG_MEDIUM_DATABASE_URL = url.toString();
  process.env.FG_MEDIUM_DATABASE = name;
  const ds = new DataSource(dataSourceOptions(url.toString(), 1));
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
}
