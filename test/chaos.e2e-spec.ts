import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@fg/persistence';
import { RunningBroker, freePort, startKafkaBroker } from './kafka/broker';
import { eventually } from './support/eventually';
import { KafkaTestClient } from './support/kafka';
import { OwnPostgres } from './support/own-postgres';
import { TwilioStub } from './support/twilio-stub';

const ROOT = resolve(__dirname, '..');
const PREFIX = 'chaos.';
const SMS_FROM = '+15005550036';
const SID = `AC${'c7'.repeat(16)}`;

/**
 * Issue #10's chaos tests: each app its own process (as in production) on a Kafka broker and a PostgreSQL server
 * that belong to this test, the real `twilio` client against a local Twilio that refuses every third call (503).
 * Each test resolves a batch of cases, breaks one thing while they are being sent, heals it, and then asserts what
 * Twilio received: every case exactly one accepted message — none twice, none stranded, none Failed — and prints
 * how long sending took to resume after the fault was healed.
 */
describe('chaos: one invitation per case whatever breaks (apps as processes)', () => {
  const pg = new OwnPostgres();
  const twilio = new TwilioStub();
  let broker: RunningBroker;
  let kafka: KafkaTestClient;
  let ds: DataSource;
  let env: Record<string, string>;
  let distributionId: string;
  const procs = new Map<string, ChildProcess>();
  let calls = 0;

  async function startApp(name: string, app = name) {
    const port = await freePort();
    const log = createWriteStream(join(tmpdir(), `fg-chaos-${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${app}/src/main.ts`], {
      cwd: ROOT,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    procs.set(name, child);
    await eventually(
      async () => expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200),
      90_000,
      250,
    );
  }

  function kill(name: string, signal: NodeJS.Signals) {
    const child = procs.get(name)!;
    procs.delete(name);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    return exited;
  }

  beforeAll(async () => {
    await pg.start();
    broker = await startKafkaBroker(3);
    kafka = new KafkaTestClient(broker.brokers);
    await twilio.start();
    // Twilio refuses every third call: the sends are retried throughout every fault below.
    twilio.respondWith((r) =>
      r.method === 'POST' && ++calls % 3 === 0
        ? { status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } }
        : undefined,
    );
    ds = await new DataSource(dataSourceOptions(pg.url, 2)).initialize();
    await runMigrations(ds);
    distributionId = await seedSmsDistribution(ds);
    env = {
      PATH: process.env.PATH!,
      DATABASE_URL: pg.url,
      DATABASE_POOL_SIZE: '5',
      KAFKA_BROKERS: broker.brokers,
      KAFKA_TOPIC_PREFIX: PREFIX,
      KAFKA_PARTITIONS: '3',
      PUBLIC_BASE_URL: 'https://surveys.example.test',
      LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: 'twilio-token-for-chaos-tests',
      TWILIO_API_BASE_URL: twilio.url,
      LOG_LEVEL: 'warn',
      OUTBOX_POLL_MS: '50',
      SEND_RATE_PER_SECOND_SMS: '40',
      SEND_RETRY_BASE_MS: '100',
      SEND_RETRY_MAX_DELAY_MS: '1000',
      SEND_RETRY_POLL_MS: '100',
      SEND_RECONCILE_AFTER_MINUTES: '0.05',
      SEND_BREAKER_FAILURES: '50',
    };
    await Promise.all(['rules', 'link-issuer', 'sender-sms'].map((a) => startApp(a)));
  }, 240_000);

  afterAll(async () => {
    for (const name of [...procs.keys()]) await kill(name, 'SIGKILL');
    await kafka?.close();
    await ds?.destroy();
    await broker?.stop();
    pg.stop();
    await twilio.close();
  }, 60_000);

  /** Resolves `n` cases (each its own phone number) and returns them. */
  async function resolveCases(n: number) {
    const cases = Array.from({ length: n }, (_, i) => ({
      caseId: `chaos-${randomUUID()}`,
      phone: `+1646${String(Date.now() % 1e5).padStart(5, '0')}${String(i).padStart(3, '0')}`,
    }));
    await kafka.produce(
      `${PREFIX}case.events`,
      cases.map((c) => ({
        key: c.caseId,
        value: JSON.stringify({
          specversion: '1.0',
          id: randomUUID(),
          source: 'crm-chaos',
          type: 'case.updated',
          data: {
            caseId: c.caseId,
            fields: { status: 'Resolved' },
            customFields: { program: distributionId },
            contact: { name: 'Ada', phone: c.phone },
            previous: { status: 'Open' },
          },
        }),
        headers: { 'content-type': 'application/cloudevents+json' },
      })),
    );
    return cases;
  }

  const acceptedFor = (cases: { phone: string }[]) => {
    const phones = new Set(cases.map((c) => c.phone));
    return twilio.created.filter((m) => phones.has(m.to));
  };

  /** Every case ends with exactly one message Twilio accepted, its invite Invite Sent; prints the recovery. */
  async function expectExactlyOnce(
    label: string,
    cases: { caseId: string; phone: string }[],
    healedAt: number,
  ) {
    const rows = await eventually(
      async () => {
        const r = await ds.query<{ case_id: string; status: string }[]>(
          `SELECT case_id, status FROM invites WHERE case_id = ANY($1)`,
          [cases.map((c) => c.caseId)],
        );
        expect(r.filter((x) => x.status === 'Invite Sent')).toHaveLength(cases.length);
        return r;
      },
      120_000,
      250,
    );
    expect(rows).toHaveLength(cases.length);
    const perPhone = new Map<string, number>();
    for (const m of acceptedFor(cases)) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
    expect(
      cases.filter((c) => perPhone.get(c.phone) !== 1).map((c) => [c.phone, perPhone.get(c.phone) ?? 0]),
    ).toEqual([]);
    const after = acceptedFor(cases).filter((m) => m.at >= healedAt);
    const resumed = after.length ? { at: Math.min(...after.map((m) => m.at)) } : null;
    process.stdout.write(
      `chaos ${label}: ${cases.length} cases, each exactly one accepted SMS; ${
        resumed
          ? `sending resumed ${resumed.at - healedAt} ms after the fault was healed`
          : 'nothing was left to send once the fault was healed (sending never paused)'
      }\n`,
    );
  }

  /** Waits until some of the batch went out, so the fault hits mid-run. */
  const someSent = (cases: { phone: string }[], n: number) =>
    eventually(() => expect(acceptedFor(cases).length).toBeGreaterThanOrEqual(n), 60_000, 50);

  it('PostgreSQL crashes (pg_ctl stop -m immediate) mid-run and is back 6 s later', async () => {
    const cases = await resolveCases(120);
    await someSent(cases, 30);
    pg.crash();
    // The outage lasts six seconds: the fault's duration, not a wait for a result.
    await new Promise((r) => setTimeout(r, 6_000));
    pg.up();
    await expectExactlyOnce('postgres restart', cases, Date.now());
  }, 240_000);

  it('the sender is killed (kill -9) mid-batch and started again', async () => {
    const cases = await resolveCases(120);
    await someSent(cases, 30);
    await kill('sender-sms', 'SIGKILL');
    // Measured from the new process's start: it joins the group once the dead member's session has expired.
    const restarted = Date.now();
    await startApp('sender-sms');
    process.stdout.write(
      `chaos sender kill -9: the new sender was ready ${Date.now() - restarted} ms after it started\n`,
    );
    await expectExactlyOnce('sender kill -9', cases, restarted);
  }, 240_000);

  it('the Kafka broker is killed (kill -9) mid-run and restarted on the same data directory', async () => {
    const cases = await resolveCases(120);
    // Killed while the cases are still on their way through the topics (rules → links → dispatch).
    await eventually(
      async () => {
        const [{ n }] = await ds.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM invites WHERE case_id = ANY($1)`,
          [cases.map((c) => c.caseId)],
        );
        expect(n).toBeGreaterThan(0);
      },
      30_000,
      20,
    );
    await broker.kill();
    await new Promise((r) => setTimeout(r, 3_000));
    await broker.restart();
    await expectExactlyOnce('broker restart', cases, Date.now());
  }, 240_000);

  it('two instances of every app share the partitions; the first ones leave mid-run (rebalance)', async () => {
    await Promise.all(['rules', 'link-issuer', 'sender-sms'].map((a) => startApp(`${a}-2`, a)));
    const cases = await resolveCases(120);
    await someSent(cases, 30);
    await Promise.all(['rules', 'link-issuer', 'sender-sms'].map((a) => kill(a, 'SIGTERM')));
    await expectExactlyOnce('rebalance', cases, Date.now());
  }, 240_000);
});

/** A survey, an SMS distribution with its template, and the rule "invite by SMS when Resolved". */
async function seedSmsDistribution(ds: DataSource): Promise<string> {
  const surveyId = randomUUID();
  const d = randomUUID();
  await ds.query(`INSERT INTO surveys (id, name) VALUES ($1, 'CSAT')`, [surveyId]);
  await ds.query(
    `INSERT INTO distributions (id, survey_id, name, status, accounts) VALUES ($1, $2, 'Chaos', 'active', $3::jsonb)`,
    [d, surveyId, JSON.stringify({ sms: { from: SMS_FROM } })],
  );
  await ds.query(
    `INSERT INTO templates (id, distribution_id, channel, kind, language, text)
     VALUES ($1, $2, 'sms', 'invitation', 'en', 'How did we do? {{survey_link}}')`,
    [randomUUID(), d],
  );
  await ds.query(
    `INSERT INTO rules (id, name, trigger, conditions, actions) VALUES ($1, 'invite by sms', 'case.updated', $2::jsonb, $3::jsonb)`,
    [
      randomUUID(),
      JSON.stringify({
        all: [
          { field: 'status', op: 'changed_to', value: 'Resolved' },
          { field: 'custom.program', op: 'equals', value: d },
        ],
      }),
      JSON.stringify([{ type: 'send_invitation', distributionId: d, channel: 'sms' }]),
    ],
  );
  return d;
}
