/**
 * Fires N case events at the running pipeline (real Kafka, real Postgres, every app, SendGrid stub) and
 * reports events/s and latency percentiles from case event produced to SendGrid request received.
 *
 *   npm run bench                     # 5000 events, broker started from Maven Central artifacts
 *   BENCH_EVENTS=20000 npm run bench  # more events; KAFKA_BROKERS / TEST_DATABASE_URL reuse existing engines
 *   BENCH_RATE=300 npm run bench      # produce at a steady 300 events/s: latency under sustained load
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@fg/persistence';
import { Topics } from '@fg/contracts';
import { Metrics } from '@fg/common';
import { RunningBroker, startKafkaBroker } from '../test/kafka/broker';
import { KafkaTestClient } from '../test/support/kafka';
import { Pipeline, resolvedCaseEvent, seedSurveyFixture, testConfig } from '../test/support/pipeline';
import { SendGridStub } from '../test/support/sendgrid-stub';

const N = Number(process.env.BENCH_EVENTS ?? 5000);
/** Events per second to produce at; unset = one burst, as fast as the producer goes. */
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const BATCH = RATE ? Math.max(1, Math.round(RATE / 20)) : 500;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  let broker: RunningBroker | undefined;
  if (!process.env.KAFKA_BROKERS) {
    broker = await startKafkaBroker(6);
    process.env.KAFKA_BROKERS = broker.brokers;
  }
  const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `fg_bench_${Date.now()}`;
  const pg = new Client({ connectionString: admin });
  await pg.connect();
  await pg.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(admin);
  url.pathname = `/${dbName}`;
  process.env.DATABASE_URL = url.toString();
  const ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL, 1));
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();

  const producedAt = new Map<string, number>();
  const latencies: number[] = [];
  const acceptedAt = new Map<string, number>();
  let lastAccept = 0;
  let done: () => void = () => undefined;
  const allAccepted = new Promise<void>((r) => (done = r));
  const stub = new SendGridStub();
  stub.respondWith((req) => {
    const subject = typeof req.body.subject === 'string' ? req.body.subject : '';
    const caseId = subject.slice(subject.indexOf('bench-'));
    const t0 = producedAt.get(caseId);
    if (t0 !== undefined) {
      lastAccept = Date.now();
      latencies.push(lastAccept - t0);
      acceptedAt.set(caseId, lastAccept);
      if (latencies.length === N) done();
    }
    return { status: 202 };
  });
  await stub.start();

  const config = testConfig({
    SENDGRID_API_KEY: 'SG.bench',
    SENDGRID_API_BASE_URL: stub.url,
    SENDGRID_WEBHOOK_PUBLIC_KEY: undefined,
    DATABASE_POOL_SIZE: '8',
    KAFKA_PARTITIONS: '6',
  });
  const pipeline = await new Pipeline(config).start();
  const kafka = new KafkaTestClient();
  try {
    const f = await seedSurveyFixture(pipeline.ds, { subject: 'Case {{case_id}}' });
    const topic = `${config.KAFKA_TOPIC_PREFIX}${Topics.caseEvents.name}`;
    await kafka.produce(topic, [resolvedCaseEvent(f, 'bench-warmup')]);
    const start = Date.now();
    for (let i = 0; i < N; i += BATCH) {
      if (RATE) {
        const due = start + (i / RATE) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      const batch = Array.from({ length: Math.min(BATCH, N - i) }, () => `bench-${randomUUID()}`);
      const now = Date.now();
      for (const id of batch) producedAt.set(id, now);
      await kafka.produce(
        topic,
        batch.map((id) => resolvedCaseEvent(f, id, id)),
      );
    }
    const produced = Date.now();
    const timeout = setTimeout(() => done(), Math.max(120_000, N * 50));
    await allAccepted;
    clearTimeout(timeout);
    const seconds = (lastAccept - start) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const result = {
      events: N,
      rate: RATE ?? 'burst',
      delivered: latencies.length,
      produceSeconds: (produced - start) / 1000,
      totalSeconds: seconds,
      eventsPerSecond: Math.round(latencies.length / seconds),
      latencyMs: {
        p50: pct(sorted, 50),
        p95: pct(sorted, 95),
        p99: pct(sorted, 99),
        max: sorted[sorted.length - 1],
      },
    };
    // When each stage finished its last case, relative to the first produce: shows which hop limits throughput.
    const [stages] = await pipeline.ds.query<Record<string, number>[]>(
      `SELECT
         extract(epoch FROM (SELECT max(updated_at) FROM cases WHERE id LIKE 'bench-%') - to_timestamp($1 / 1000.0)) AS rules,
         extract(epoch FROM (SELECT max(created_at) FROM survey_links WHERE case_id LIKE 'bench-%') - to_timestamp($1 / 1000.0)) AS links,
         extract(epoch FROM (SELECT max(attempted_at) FROM invites WHERE case_id LIKE 'bench-%') - to_timestamp($1 / 1000.0)) AS "senderClaimed",
         extract(epoch FROM (SELECT max(sent_at) FROM invites WHERE case_id LIKE 'bench-%') - to_timestamp($1 / 1000.0)) AS "sentRecorded"`,
      [start],
    );
    // Median time each hop added, from each stage's own timestamps (same clock: one machine).
    const rows = await pipeline.ds.query<{ id: string; rules: Date; link: Date; claimed: Date }[]>(
      `SELECT c.id, i.processed_at AS rules, l.created_at AS link, v.attempted_at AS claimed
       FROM cases c
       JOIN inbox i ON i.consumer = 'rules' AND i.message_id = 'crm-test#' || c.id
       JOIN survey_links l ON l.case_id = c.id
       JOIN invites v ON v.case_id = c.id
       WHERE c.id LIKE 'bench-%'`,
    );
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const hops = {
      toRulesCommitted: median(rows.map((r) => r.rules.getTime() - producedAt.get(r.id)!)),
      rulesToLinkIssued: median(rows.map((r) => r.link.getTime() - r.rules.getTime())),
      linkToSenderClaimed: median(rows.map((r) => r.claimed.getTime() - r.link.getTime())),
      claimToProviderRequest: median(rows.map((r) => acceptedAt.get(r.id)! - r.claimed.getTime())),
    };
    // Time spent inside handlers per consumer group (the rest of a stage's time is fetching and waiting).
    const handlers: Record<string, { batches: number; seconds: number }> = {};
    for (const app of pipeline.apps.values()) {
      const m = await app.get(Metrics).handlerSeconds.get();
      for (const v of m.values) {
        const g = String(v.labels.group);
        handlers[g] ??= { batches: 0, seconds: 0 };
        if (v.metricName?.endsWith('_count')) handlers[g].batches += v.value;
        if (v.metricName?.endsWith('_sum'))
          handlers[g].seconds = Math.round((handlers[g].seconds + v.value) * 100) / 100;
      }
    }
    process.stdout.write(
      `${JSON.stringify({ ...result, hopMedianMs: hops, stageDoneAtSeconds: stages, handlers }, null, 2)}\n`,
    );
    if (latencies.length !== N) process.exitCode = 1;
  } finally {
    await kafka.close();
    await pipeline.close();
    await stub.close();
    await pg.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await pg.end();
    await broker?.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
