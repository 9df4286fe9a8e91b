import { Client } from 'pg';

export default async function mediumTeardown(): Promise<void> {
  const name = process.env.FG_MEDIUM_DATABASE;
  if (!name) return;
  const client = new Client({
    connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}
