import { dropTestDatabase } from './test-database';

export default async function mediumTeardown(): Promise<void> {
  await dropTestDatabase(process.env.FG_MEDIUM_DATABASE);
}
