import { createTestDatabase } from './test-database';

/** Medium tests (a service with its real repositories on Postgres, no broker): a database of their own. */
export default async function mediumSetup(): Promise<void> {
  const db = await createTestDatabase('fg_medium');
  process.env.FG_MEDIUM_DATABASE_URL = db.url;
  process.env.FG_MEDIUM_DATABASE = db.name;
}
