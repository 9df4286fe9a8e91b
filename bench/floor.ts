/**
 * The floor: the same work as the pipeline's, done alone and batched, by one process — the Kafka messages through
 * kafkajs (produced and consumed), the row writes through `pg` in batches of 250, the provider calls through
 * `@sendgrid/mail`. Driven by bench/run.ts over stdin/stdout so it can sample the broker's and PostgreSQL's CPU
 * around each phase: it sends a JSON command, this prints {"ready"}, it answers "go", this prints {"done"}.
 */
import { Client as SendGridClient } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { Kafka, logLevel } from 'kafkajs';
// The floor uses kafkajs as the apps do, with the idle-loop fix (libs/messaging/src/kafkajs-idle-fix.ts).
import '../libs/messaging/src/kafkajs-idle-fix';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Client } from 'pg';

type Command =
  | { phase: 'kafka'; brokers: string; messages: number; bytes: number; partitions: number }
  | { phase: 'pg'; url: string; rows: number }
  | { phase: 'sendgrid'; baseUrl: string; calls: number; concurrency: number };

const lines = createInterface({ input: process.stdin });
const queue: string[] = [];
let waiter: ((l: string) => void) | undefined;
lines.on('line', (l) => (waiter ? (waiter(l), (waiter = undefined)) : queue.push(l)));
const nextLine = () => new Promise<string>((r) => (queue.length ? r(queue.shift()!) : (waiter = r)));
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function measured(phase: string, work: () => Promise<void>) {
  say({ ready: phase });
  await nextLine();
  const cpu = process.cpuUsage();
  const t0 = Date.now();
  await work();
  const used = process.cpuUsage(cpu);
  say({ done: phase, cpuMs: (used.user + used.system) / 1000, wallMs: Date.now() - t0 });
}

async function kafkaFloor(c: Extract<Command, { phase: 'kafka' }>) {
  const kafka = new Kafka({ clientId: 'floor', brokers: c.brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = `floor.${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: c.partitions }], waitForLeaders: true });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const consumer = kafka.consumer({
    groupId: `floor-${randomUUID()}`,
    sessionTimeout: 6000,
    maxWaitTimeInMs: 2000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  let allIn: () => void = () => undefined;
  const done = new Promise<void>((r) => (allIn = r));
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    partitionsConsumedConcurrently: c.partitions,
    eachBatch: async ({ batch }) => {
      consumed += batch.messages.length;
      if (consumed >= c.messages) allIn();
    },
  });
  await joined;
  const value = Buffer.alloc(c.bytes, 'x');
  await measured('kafka', async () => {
    for (let i = 0; i < c.messages; i += 250) {
      const n = Math.min(250, c.messages - i);
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, () => ({
          key: randomUUID(),
          value,
          headers: { 'content-type': 'application/cloudevents+json', ce_id: randomUUID() },
        })),
      });
    }
    await done;
  });
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

async function pgFloor(c: Extract<Command, { phase: 'pg' }>) {
  const pg = new Client({ connectionString: c.url });
  await pg.connect();
  await pg.query(`CREATE TABLE IF NOT EXISTS bench_floor_rows (
    id uuid PRIMARY KEY, case_id text NOT NULL, status text NOT NULL, data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now())`);
  const data = JSON.stringify({
    channel: 'email',
    to: 'grace@example.com',
    attempt: 1,
    note: 'x'.repeat(80),
  });
  await measured('pg', async () => {
    for (let i = 0; i < c.rows; i += 250) {
      const n = Math.min(250, c.rows - i);
      const ids = Array.from({ length: n }, () => randomUUID());
      await pg.query(
        `INSERT INTO bench_floor_rows (id, case_id, status, data)
         SELECT id, 'case-' || id, 'Sent', $2::jsonb FROM unnest($1::uuid[]) AS id`,
        [ids, data],
      );
    }
  });
  await pg.query('DROP TABLE bench_floor_rows');
  await pg.end();
}

async function sendgridFloor(c: Extract<Command, { phase: 'sendgrid' }>) {
  // Configured as the email sender configures it (libs/senders/src/providers/sendgrid.provider.ts).
  const mail = new MailService();
  const client = new SendGridClient();
  mail.setClient(client);
  mail.setApiKey('SG.floor');
  client.setDefaultRequest('baseUrl', c.baseUrl);
  (client.setDefaultRequest.bind(client) as (key: string, value: unknown) => void)('maxRedirects', 0);
  mail.setTimeout(10_000);
  const html =
    '<p>Hi Grace Hopper, tell us how we did: <a href="https://surveys.example.test/s/abc">survey</a></p>';
  await measured('sendgrid', async () => {
    let next = 0;
    const worker = async () => {
      while (next < c.calls) {
        const i = next++;
        await mail.send({
          to: 'grace@example.com',
          from: { email: 'surveys@acme.test', name: 'Acme' },
          subject: `Case floor-${i}`,
          html,
          text: 'Hi Grace Hopper, tell us how we did: https://surveys.example.test/s/abc',
          customArgs: { fg_invite_id: randomUUID() },
        });
      }
    };
    await Promise.all(Array.from({ length: c.concurrency }, worker));
  });
}

async function main() {
  for (;;) {
    const line = await nextLine();
    if (line === 'exit') break;
    const c = JSON.parse(line) as Command;
    if (c.phase === 'kafka') await kafkaFloor(c);
    else if (c.phase === 'pg') await pgFloor(c);
    else await sendgridFloor(c);
  }
  lines.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`floor failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
