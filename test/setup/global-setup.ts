import { startKafkaBroker } from '../kafka/broker';
import { createTestDatabase } from './test-database';

/**
 * Once per test run: a real Kafka broker (unless KAFKA_BROKERS points at one) and a database of its own on
 * the Postgres at TEST_DATABASE_URL (default: this machine's), with migrations applied.
 */
export default async function globalSetup(): Promise<void> {
  const g = globalThis as { __FG_BROKER__?: { stop(): Promise<void> } };
  if (!process.env.KAFKA_BROKERS) {
    const broker = await startKafkaBroker();
    g.__FG_BROKER__ = broker;
    process.env.KAFKA_BROKERS = broker.brokers;
  }
  const db = await createTestDatabase('fg_test');
  process.env.DATABASE_URL = db.url;
  process.env.FG_TEST_DATABASE = db.name;
}
