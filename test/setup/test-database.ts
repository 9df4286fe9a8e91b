import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '../../libs/persistence/src/data-source';

const ADMIN_URL = () => process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of its own on the Postgres at TEST_DATABASE_URL (default: this machine's), migrated. */
export async function createTestDatabase(prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  const client = new Client({ connectionString: ADMIN_URL() });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(ADMIN_URL());
  url.pathname = `/${name}`;
  const ds = new DataSource(dataSourceOptions(url.toString(), 1));
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
  return { name, url: url.toString() };
}

export async function dropTestDatabase(name: string | undefined): Promise<void> {
  if (!name) return;
  const client = new Client({ connectionString: ADMIN_URL() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}
