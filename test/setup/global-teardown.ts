import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __FG_BROKER__?: { stop(): Promise<void> } };
  await g.__FG_BROKER__?.stop();
  const name = process.env.FG_TEST_DATABASE;
  if (name) {
    const client = new Client({
      connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  }
}
