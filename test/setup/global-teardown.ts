import { dropTestDatabase } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __FG_BROKER__?: { stop(): Promise<void> } };
  await g.__FG_BROKER__?.stop();
  await dropTestDatabase(process.env.FG_TEST_DATABASE);
}
