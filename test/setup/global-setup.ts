import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { startKafkaBroker } from '../kafka/broker';
import { dataSourceOptions, runMigrations } from '../../libs/persistence/src/data-source';

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
  const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `fg_test_${Date.now()}_${process.pid}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  process.env.DATABASE_URL = url.toString();
  process.env.FG_TEST_DATABASE = name;
  const ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL, 1));
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
}
