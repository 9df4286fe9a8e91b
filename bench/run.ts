/**
 * The pipeline benchmark, in the production topology: a Kafka broker, a fresh PostgreSQL database, each app its own
 * process (built from dist/, configured by the environment only, with production defaults) and a local SendGrid.
 * It measures, in one run:
 *   - idle: CPU per second of every process with no traffic;
 *   - a burst of --events case events: events/s end to end, latency per hop, CPU-ms per event per component, RSS;
 *   - steady rates (--rates 20:30,300:20 = 20 events/s for 30 s, then 300 events/s for 20 s): latency percentiles;
 *   - the floor: the same number of Kafka messages through kafkajs, row writes through `pg` (batches of 250) and
 *     provider calls through `@sendgrid/mail`, done alone by one process (bench/floor.ts), and the ratio to it.
 * CPU is read from /proc (user + system) for the app processes, the broker's JVM and the PostgreSQL processes
 * serving the bench's database, so a busy machine changes the figures less than wall time does.
 *
 *   npm run bench                                   # everything, each app its own process
 *   npm run bench -- --events 10000 --rates 20:60   # a bigger burst, one steady rate
 *   npm run bench -- --topology one-process         # every app in one Node process (as the tests run them)
 *   npm run bench -- --preload 1000000              # 1M existing cases, links, invites and runs first (growth)
 *   npm run bench -- --skip-floor --idle 0          # shorter
 * KAFKA_BROKERS / TEST_DATABASE_URL reuse running engines (then the broker's CPU is not measured).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface, Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@fg/persistence';
import { Topics } from '@fg/contracts';
import { freePort, RunningBroker, startKafkaBroker } from '../test/kafka/broker';
import { Fixture, resolvedCaseEvent, seedSurveyFixture } from '../test/support/pipeline';
import { SendGridStub } from '../test/support/sendgrid-stub';
import { CpuSampler, diff } from './procstat';
import { preload } from './preload';

const ROOT = resolve(__dirname, '..');
const APPS = ['gateway', 'rules', 'link-issuer', 'sender-email', 'sender-sms', 'sender-whatsapp'];
const PREFIX = 'bench.';
const PARTITIONS = 6;

const { values: opt } = parseArgs({
  options: {
    topology: { type: 'string', default: 'processes' },
    events: { type: 'string', default: process.env.BENCH_EVENTS ?? '5000' },
    rates: { type: 'string', default: '20:30,300:20' },
    idle: { type: 'string', default: '10' },
    // Enough for the JITs (Node's and the broker's C2) to settle before anything is measured.
    warmup: { type: 'string', default: '3000' },
    preload: { type: 'string', default: '0' },
    'skip-floor': { type: 'boolean', default: false },
    /** Keep the bench's database afterwards (its name is printed), e.g. to read pg_stat_user_indexes. */
    'keep-db': { type: 'boolean', default: false },
    /** Write every case's timestamps per hop (ms since its event was produced) to this JSON file. */
    dump: { type: 'string', default: '' },
    /** Extra environment for the apps, e.g. --app-env OUTBOX_POLL_MS=50,KAFKA_HEARTBEAT_INTERVAL_MS=2000. */
    'app-env': { type: 'string', default: '' },
    /** Count each app's round trips (PostgreSQL statements, Kafka requests) per event at the steady rates. */
    'count-requests': { type: 'boolean', default: false },
    /** Apps to run with --cpu-prof (profiles written to --profile-dir when they stop). */
    profile: { type: 'string', default: '' },
    /** Log the plan of every statement slower than this many ms (auto_explain, in the server's log). */
    'explain-slow': { type: 'string', default: '' },
    'profile-dir': { type: 'string', default: 'bench/profiles' },
  },
});
const N = Number(opt.events);
const RATES = opt.rates
  .split(',')
  .filter(Boolean)
  .map((r) => r.split(':').map(Number) as [number, number]);

const out = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

/** One app process (or, with --topology one-process, the one process holding all of them). */
interface TableStats {
  seqScans: number;
  seqRows: number;
  inserts: number;
  updates: number;
  /** Updates that changed no indexed column (no index entries written). */
  hotUpdates: number;
  deletes: number;
}

interface AppProc {
  name: string;
  child: ChildProcess;
  port: number;
}

function profileArgs(app: string): string[] {
  const wanted = opt.profile.split(',');
  return wanted.includes(app) || wanted.includes('all')
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${resolve(ROOT, opt['profile-dir'])}`,
        `--cpu-prof-name=${app}.cpuprofile`,
      ]
    : [];
}

class Bench {
  /** Where the apps' request counters write (`--count-requests`). */
  readonly countsDir = opt['count-requests'] ? mkdtempSync(join(tmpdir(), 'fg-bench-counts-')) : undefined;
  broker?: RunningBroker;
  brokers = '';
  brokerJvm?: number;
  adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  admin = new Client({ connectionString: this.adminUrl });
  db?: Client;
  dbName = `fg_bench_${Date.now()}`;
  dbUrl = '';
  stub = new SendGridStub();
  apps: AppProc[] = [];
  kafka?: Kafka;
  producer?: import('kafkajs').Producer;
  fixture?: Fixture;
  /** Case id → when its event was produced / when SendGrid got its email. */
  producedAt = new Map<string, number>();
  acceptedAt = new Map<string, number>();
  private waiting?: { prefix: string; remaining: number; resolve: () => void };
  sampler = new CpuSampler(() => this.components());
  /** Per-case hop timestamps for --dump. */
  readonly dumped: Record<string, string | number>[] = [];
  /** Every process started, also one that failed to start: all are stopped, whatever happens. */
  private readonly children: ChildProcess[] = [];
  ownBackend = 0;

  async start() {
    if (process.env.KAFKA_BROKERS) this.brokers = process.env.KAFKA_BROKERS;
    else {
      this.broker = await startKafkaBroker(PARTITIONS, { production: true });
      this.brokers = this.broker.brokers;
      this.brokerJvm = Number(readFileSync(join(this.broker.dir, 'java.pid'), 'utf8').trim());
    }
    await this.admin.connect();
    await this.admin.query(`CREATE DATABASE ${this.dbName}`);
    const url = new URL(this.adminUrl);
    url.pathname = `/${this.dbName}`;
    this.dbUrl = url.toString();
    if (opt['explain-slow']) {
      await this.admin.query(`ALTER DATABASE ${this.dbName} SET session_preload_libraries = 'auto_explain'`);
      await this.admin.query(
        `ALTER DATABASE ${this.dbName} SET auto_explain.log_min_duration = ${Number(opt['explain-slow'])}`,
      );
    }
    const ds = new DataSource(dataSourceOptions(this.dbUrl, 2));
    await ds.initialize();
    await runMigrations(ds);
    this.fixture = await seedSurveyFixture(ds, { subject: 'Case {{case_id}}' });
    const preloaded = Number(opt.preload);
    if (preloaded > 0) {
      const t0 = Date.now();
      await preload(ds, this.fixture, preloaded);
      out(
        `preloaded ${preloaded} cases, links, invites and rule runs in ${round((Date.now() - t0) / 1000, 1)} s`,
      );
    }
    await ds.destroy();
    this.db = new Client({ connectionString: this.dbUrl });
    await this.db.connect();
    this.ownBackend = (await this.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

    this.stub.respondWith((req) => {
      const subject = typeof req.body.subject === 'string' ? req.body.subject : '';
      const caseId = subject.slice(subject.indexOf('b-'));
      if (this.producedAt.has(caseId) && !this.acceptedAt.has(caseId)) {
        this.acceptedAt.set(caseId, Date.now());
        const w = this.waiting;
        if (w && caseId.startsWith(w.prefix) && --w.remaining === 0) w.resolve();
      }
      return { status: 202 };
    });
    await this.stub.start();

    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const env: Record<string, string> = {
      PATH: process.env.PATH!,
      NODE_ENV: 'production',
      DATABASE_URL: this.dbUrl,
      KAFKA_BROKERS: this.brokers,
      KAFKA_TOPIC_PREFIX: PREFIX,
      KAFKA_PARTITIONS: String(PARTITIONS),
      PUBLIC_BASE_URL: 'https://surveys.example.test',
      LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      SENDGRID_API_KEY: 'SG.bench',
      SENDGRID_API_BASE_URL: this.stub.url,
      SENDGRID_WEBHOOK_PUBLIC_KEY: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      TWILIO_ACCOUNT_SID: `AC${'b'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'bench-twilio-token',
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9/',
      // The pipeline's capacity is measured, not SendGrid's per-account pacing (600/s by default).
      SEND_RATE_PER_SECOND_EMAIL: '100000',
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(
        opt['app-env']
          .split(',')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
    };
    if (this.countsDir) {
      env.FG_BENCH_COUNTS = this.countsDir;
      env.NODE_OPTIONS = `-r @swc-node/register -r ${join(ROOT, 'bench/request-counter.ts')} ${env.NODE_OPTIONS ?? ''}`;
    }
    if (opt.topology === 'one-process') {
      this.apps.push(
        await this.spawn(
          'all-apps',
          [...profileArgs('all-apps'), '-r', '@swc-node/register', 'bench/one-process.ts'],
          env,
        ),
      );
    } else {
      this.apps = await Promise.all(
        APPS.map((a) => this.spawn(a, [...profileArgs(a), `dist/apps/${a}/src/main.js`], env)),
      );
    }
    this.kafka = new Kafka({
      clientId: 'bench',
      brokers: this.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    await this.sampler.start();
  }

  private async spawn(name: string, args: string[], env: Record<string, string>): Promise<AppProc> {
    const port = await freePort();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.children.push(child);
    child.stderr.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`));
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start-up`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${name} did not answer /health within 120 s`);
      await sleep(250);
    }
    return { name, child, port };
  }

  /** Each app's running totals of round trips (`--count-requests`), read after their next write. */
  async requestCounts(): Promise<Record<string, Record<string, number>>> {
    if (!this.countsDir) return {};
    await sleep(700);
    const byApp: Record<string, Record<string, number>> = {};
    for (const f of readdirSync(this.countsDir)) {
      const { app, counts } = JSON.parse(readFileSync(join(this.countsDir, f), 'utf8')) as {
        app: string;
        counts: Record<string, number>;
      };
      const into = (byApp[app] ??= {});
      for (const [k, v] of Object.entries(counts)) into[k] = (into[k] ?? 0) + v;
    }
    return byApp;
  }

  /** The processes whose CPU counts as the deployment's. */
  async components(): Promise<Record<string, number[]>> {
    const c: Record<string, number[]> = {};
    for (const a of this.apps) if (a.child.pid) c[a.name] = [a.child.pid];
    if (this.brokerJvm) c.kafka = [this.brokerJvm];
    if (this.db) {
      // The backends serving the bench's database (not the bench's own; autovacuum of it included), and apart the
      // server's shared processes (WAL writer, checkpointer, background writer, autovacuum launcher).
      const { rows } = await this.db.query<{ pid: number; ours: boolean }>(
        `SELECT pid, datname IS NOT NULL AS ours FROM pg_stat_activity
         WHERE (datname = current_database() AND pid <> pg_backend_pid()) OR datname IS NULL`,
      );
      c.postgres = rows.filter((r) => r.ours).map((r) => r.pid);
      c['postgres (server)'] = rows.filter((r) => !r.ours).map((r) => r.pid);
    }
    return c;
  }

  async produce(ids: string[]) {
    const now = Date.now();
    for (const id of ids) this.producedAt.set(id, now);
    await this.producer!.send({
      topic: `${PREFIX}${Topics.caseEvents.name}`,
      acks: -1,
      messages: ids.map((id) => resolvedCaseEvent(this.fixture!, id, id)),
    });
  }

  /** Resolves when SendGrid has received an email for every case produced with this prefix. */
  delivered(prefix: string, count: number, timeoutMs: number): Promise<void> {
    const already = [...this.acceptedAt.keys()].filter((k) => k.startsWith(prefix)).length;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const got = [...this.acceptedAt.keys()].filter((k) => k.startsWith(prefix)).length;
        reject(new Error(`only ${got} of ${count} emails for ${prefix} arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      if (already >= count) return resolve();
      this.waiting = {
        prefix,
        remaining: count - already,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      };
    });
  }

  /** Waits until nothing is left to do: outbox empty and every consumer group caught up, twice in a row. */
  async quiet(): Promise<void> {
    const admin = this.kafka!.admin();
    await admin.connect();
    try {
      for (let calm = 0; calm < 2;) {
        const [{ n }] = (
          await this.db!.query<{ n: string }>(
            // (Runs move on by messages: with the outbox empty and every group caught up, none is left to move.)
            `SELECT count(*) AS n FROM outbox`,
          )
        ).rows;
        let lag = 0;
        if (n === '0') {
          const { groups } = await admin.listGroups();
          for (const g of groups.filter((x) => x.groupId.startsWith(PREFIX))) {
            for (const t of await admin.fetchOffsets({ groupId: g.groupId })) {
              const ends = await admin.fetchTopicOffsets(t.topic);
              for (const p of t.partitions) {
                const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
                lag += Math.max(0, end - Math.max(0, Number(p.offset)));
              }
            }
          }
        }
        calm = n === '0' && lag === 0 ? calm + 1 : 0;
        await sleep(300);
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Starts a measurement from the same calm state every time: what the previous load left behind (dead outbox and
   * inbox rows, stale statistics) vacuumed and analysed now, by the bench's own connection (not counted), then a
   * moment for the apps' and the broker's background work to finish.
   */
  async settle(): Promise<void> {
    await this.quiet();
    await this.db!.query('VACUUM (ANALYZE)');
    await sleep(3000);
  }

  /** Kafka records written to the bench's topics so far. */
  async kafkaRecords(): Promise<number> {
    const admin = this.kafka!.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(PREFIX));
      let records = 0;
      for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) records += Number(p.high);
      return records;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Per table so far: sequential scans and the rows they read, row writes. A backend that went idle flushes its
   * statistics within 10 s (PostgreSQL's idle flush interval), so this waits that long first.
   */
  async tableScans(): Promise<Record<string, TableStats>> {
    await sleep(10_500);
    await this.db!.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.db!.query<Record<string, string>>(
      `SELECT relname, seq_scan, seq_tup_read, n_tup_ins, n_tup_upd,
              n_tup_hot_upd, n_tup_del
       FROM pg_stat_user_tables`,
    );
    return Object.fromEntries(
      rows.map((r) => [
        r.relname,
        {
          seqScans: Number(r.seq_scan),
          seqRows: Number(r.seq_tup_read),
          inserts: Number(r.n_tup_ins),
          updates: Number(r.n_tup_upd),
          hotUpdates: Number(r.n_tup_hot_upd),
          deletes: Number(r.n_tup_del),
        },
      ]),
    );
  }

  /** Per-case timestamps of each hop, for cases whose id starts with `prefix`. */
  async hops(prefix: string) {
    const { rows } = await this.db!.query<{ id: string; rules: Date; link: Date; claimed: Date; sent: Date }>(
      `SELECT c.id, i.processed_at AS rules, l.created_at AS link, v.attempted_at AS claimed, v.sent_at AS sent
       FROM cases c
       JOIN inbox i ON i.consumer = 'rules' AND i.message_id = 'crm-test#' || c.id
       JOIN survey_links l ON l.case_id = c.id
       JOIN invites v ON v.case_id = c.id
       WHERE c.id LIKE $1 || '%'`,
      [prefix],
    );
    if (opt.dump)
      this.dumped.push(
        ...rows.map((r) => {
          const t0 = this.producedAt.get(r.id)!;
          return {
            phase: prefix,
            producedAt: t0,
            rules: r.rules.getTime() - t0,
            link: r.link.getTime() - t0,
            claimed: r.claimed.getTime() - t0,
            provider: (this.acceptedAt.get(r.id) ?? NaN) - t0,
            recorded: (r.sent?.getTime() ?? NaN) - t0,
          };
        }),
      );
    const per = (f: (r: (typeof rows)[number]) => number) => {
      const xs = rows.map(f).filter((x) => Number.isFinite(x));
      return { p50: pct(xs, 50), p99: pct(xs, 99) };
    };
    const e2e = [...this.acceptedAt]
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, t]) => t - this.producedAt.get(k)!);
    return {
      endToEnd: { p50: pct(e2e, 50), p95: pct(e2e, 95), p99: pct(e2e, 99), max: pct(e2e, 100) },
      'produce→rules': per((r) => r.rules.getTime() - this.producedAt.get(r.id)!),
      'rules→link': per((r) => r.link.getTime() - r.rules.getTime()),
      'link→sender': per((r) => r.claimed.getTime() - r.link.getTime()),
      'sender→provider': per((r) => this.acceptedAt.get(r.id)! - r.claimed.getTime()),
      'provider→recorded': per((r) => r.sent?.getTime() - this.acceptedAt.get(r.id)!),
    };
  }

  async stop() {
    this.sampler.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
          }),
      ),
    );
    await this.stub.close();
    await this.db?.end().catch(() => undefined);
    if (!opt['keep-db'])
      await this.admin.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`).catch(() => undefined);
    await this.admin.end().catch(() => undefined);
    await this.broker?.stop();
  }
}

/** Runs bench/floor.ts as its own process and measures each phase (its CPU, the broker's, PostgreSQL's). */
class Floor {
  private child = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/floor.ts'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  private lines: Interface = createInterface({ input: this.child.stdout });
  private queue: string[] = [];
  private waiter?: (l: string) => void;

  constructor(private readonly bench: Bench) {
    this.lines.on('line', (l) =>
      this.waiter ? (this.waiter(l), (this.waiter = undefined)) : this.queue.push(l),
    );
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise<string>((r) => (this.queue.length ? r(this.queue.shift()!) : (this.waiter = r))).then(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
  }

  /** CPU ms of the phase: the floor process's own, plus the broker's and PostgreSQL's while it ran. */
  async phase(cmd: object): Promise<{ node: number; kafka: number; postgres: number; wallMs: number }> {
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    await this.next(); // ready
    const before = await this.bench.sampler.snapshot();
    this.child.stdin.write('go\n');
    const done = (await this.next()) as { cpuMs: number; wallMs: number };
    const d = diff(await this.bench.sampler.snapshot(), before);
    const postgres = (d.postgres ?? 0) + (d['postgres (server)'] ?? 0);
    return { node: done.cpuMs, kafka: d.kafka ?? 0, postgres, wallMs: done.wallMs };
  }

  async close() {
    this.child.stdin.write('exit\n');
    await new Promise((r) => this.child.once('exit', r));
  }
}

function table(head: string[], rows: (string | number)[][]) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => `| ${r.map((c, i) => String(c).padEnd(w[i])).join(' | ')} |`;
  out(line(head));
  out(`| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`);
  for (const r of rows) out(line(r));
}

async function main() {
  const bench = new Bench();
  const t0 = Date.now();
  const report: Report = { topology: opt.topology, events: N, preload: Number(opt.preload), steady: {} };
  try {
    await bench.start();
    out(
      `started: broker, database ${bench.dbName}, ${bench.apps.length} process(es) in ${round((Date.now() - t0) / 1000, 1)} s`,
    );

    // Warm-up: JIT, pools, consumer groups; not measured.
    const warm = Array.from({ length: Number(opt.warmup) }, () => `b-w-${randomUUID()}`);
    for (let i = 0; i < warm.length; i += 250) await bench.produce(warm.slice(i, i + 250));
    await bench.delivered('b-w-', warm.length, 120_000);
    await bench.settle();

    // Idle.
    const idleSeconds = Number(opt.idle);
    if (idleSeconds > 0) {
      await sleep(2000);
      const a = await bench.sampler.snapshot();
      await sleep(idleSeconds * 1000);
      const d = diff(await bench.sampler.snapshot(), a);
      report.idleCpuMsPerSecond = Object.fromEntries(
        Object.entries(d).map(([k, v]) => [k, round(v / idleSeconds, 1)]),
      );
    }

    // Steady rates first, on a calm system (after a burst, autovacuum and checkpoints would still be running).
    const steady: Report['steady'] = {};
    for (const [rate, seconds] of RATES) {
      const prefix = `b-r${rate}-`;
      const total = rate * seconds;
      const perTick = Math.max(1, Math.round(rate / 50));
      const arrivedAll = bench.delivered(prefix, total, seconds * 1000 + 120_000);
      const s0 = Date.now();
      const cpu0 = await bench.sampler.snapshot();
      const requests0 = await bench.requestCounts();
      for (let i = 0; i < total; i += perTick) {
        const due = s0 + (i / rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        await bench.produce(
          Array.from({ length: Math.min(perTick, total - i) }, () => `${prefix}${randomUUID()}`),
        );
      }
      await arrivedAll;
      await bench.quiet();
      const cpu = diff(await bench.sampler.snapshot(), cpu0);
      steady[`${rate}/s`] = {
        cpuMsPerEvent: round(Object.values(cpu).reduce((a, b) => a + b, 0) / total, 3),
        cpuMsPerSecondByComponent: Object.fromEntries(
          Object.entries(cpu).map(([k, v]) => [k, Math.round(v / ((Date.now() - s0) / 1000))]),
        ),
        latency: await bench.hops(prefix),
        ...(bench.countsDir
          ? { roundTripsPerEvent: perEvent(await bench.requestCounts(), requests0, total) }
          : {}),
      };
    }
    report.steady = steady;

    // Burst.
    await bench.settle();
    const recordsBefore = await bench.kafkaRecords();
    const scansBefore = await bench.tableScans();
    const cpuBefore = await bench.sampler.snapshot();
    bench.sampler.resetRss();
    const ids = Array.from({ length: N }, () => `b-b-${randomUUID()}`);
    const start = Date.now();
    const arrived = bench.delivered('b-b-', N, Math.max(180_000, N * 60));
    for (let i = 0; i < N; i += 500) await bench.produce(ids.slice(i, i + 500));
    await arrived;
    const lastEmail = Math.max(...ids.map((id) => bench.acceptedAt.get(id)!));
    await bench.quiet();
    const burstCpu = diff(await bench.sampler.snapshot(), cpuBefore);
    const rss = bench.sampler.rss();
    const records = (await bench.kafkaRecords()) - recordsBefore;
    const scansAfter = await bench.tableScans();
    // Tables read sequentially during the burst, most rows first: what grows with the data.
    const seqRead = Object.entries(scansAfter)
      .map(([t, a]) => ({
        table: t,
        seqScans: a.seqScans - (scansBefore[t]?.seqScans ?? 0),
        rowsPerEvent: round((a.seqRows - (scansBefore[t]?.seqRows ?? 0)) / N, 1),
      }))
      .filter((x) => x.seqScans > 0)
      .sort((a, b) => b.rowsPerEvent - a.rowsPerEvent)
      .slice(0, 8);
    const d = (t: string, k: keyof TableStats) => (scansAfter[t][k] - (scansBefore[t]?.[k] ?? 0)) / N;
    const rowWrites = Object.keys(scansAfter).reduce(
      (n, t) => n + (d(t, 'inserts') + d(t, 'updates') + d(t, 'deletes')) * N,
      0,
    );
    // Row writes per event by table: updates that are not HOT write every index of the table again.
    const writes = Object.keys(scansAfter)
      .map((t) => ({
        table: t,
        inserts: round(d(t, 'inserts')),
        updates: round(d(t, 'updates')),
        hotUpdates: round(d(t, 'hotUpdates')),
        deletes: round(d(t, 'deletes')),
      }))
      .filter((x) => x.inserts + x.updates + x.deletes > 0)
      .sort((a, b) => b.inserts + b.updates + b.deletes - (a.inserts + a.updates + a.deletes));
    const burstTotal = Object.values(burstCpu).reduce((a, b) => a + b, 0);
    report.burst = {
      eventsPerSecond: Math.round(N / ((lastEmail - start) / 1000)),
      cpuMsPerEvent: round(burstTotal / N, 3),
      cpuMsPerEventByComponent: Object.fromEntries(
        Object.entries(burstCpu).map(([k, v]) => [k, round(v / N, 3)]),
      ),
      kafkaRecordsPerEvent: round(records / N, 2),
      rowWritesPerEvent: round(rowWrites / N, 2),
      rssMb: rss,
      seqScans: seqRead,
      writes,
      latency: await bench.hops('b-b-'),
    };

    // The floor, same run, same engines.
    if (!opt['skip-floor']) {
      const floor = new Floor(bench);
      const k = await floor.phase({
        phase: 'kafka',
        brokers: bench.brokers,
        messages: records,
        bytes: 700,
        partitions: PARTITIONS,
      });
      const p = await floor.phase({ phase: 'pg', url: bench.dbUrl, rows: rowWrites });
      const s = await floor.phase({ phase: 'sendgrid', baseUrl: bench.stub.url, calls: N, concurrency: 8 });
      await floor.close();
      const parts = {
        kafka: round((k.node + k.kafka + k.postgres) / N, 3),
        postgres: round((p.node + p.postgres + p.kafka) / N, 3),
        sendgrid: round((s.node + s.kafka + s.postgres) / N, 3),
      };
      const floorPerEvent = parts.kafka + parts.postgres + parts.sendgrid;
      report.floor = { cpuMsPerEvent: round(floorPerEvent, 3), parts, kafkaRecords: records, rowWrites };
      report.ratio = round(burstTotal / N / floorPerEvent, 2);
    }
  } finally {
    await bench.stop();
  }
  printReport(report);
  if (opt.dump) writeFileSync(opt.dump, JSON.stringify(bench.dumped));
}

type Hops = Record<string, { p50: number; p95?: number; p99: number; max?: number }>;
interface Report {
  topology: string;
  events: number;
  preload: number;
  idleCpuMsPerSecond?: Record<string, number>;
  burst?: {
    eventsPerSecond: number;
    cpuMsPerEvent: number;
    cpuMsPerEventByComponent: Record<string, number>;
    kafkaRecordsPerEvent: number;
    rowWritesPerEvent: number;
    rssMb: Record<string, number>;
    seqScans: { table: string; seqScans: number; rowsPerEvent: number }[];
    writes: { table: string; inserts: number; updates: number; hotUpdates: number; deletes: number }[];
    latency: Hops;
  };
  steady: Record<
    string,
    {
      cpuMsPerEvent: number;
      cpuMsPerSecondByComponent: Record<string, number>;
      latency: Hops;
      roundTripsPerEvent?: Record<string, RoundTrips>;
    }
  >;
  floor?: {
    cpuMsPerEvent: number;
    parts: { kafka: number; postgres: number; sendgrid: number };
    kafkaRecords: number;
    rowWrites: number;
  };
  ratio?: number;
}

interface RoundTrips {
  postgres: number;
  kafka: number;
  /** The most frequent, per event. */
  top: Record<string, number>;
}

/** Round trips per event and app between two readings of the counters. */
function perEvent(
  after: Record<string, Record<string, number>>,
  before: Record<string, Record<string, number>>,
  events: number,
): Record<string, RoundTrips> {
  return Object.fromEntries(
    Object.entries(after).map(([app, counts]) => {
      const d = Object.entries(counts)
        .map(([k, v]): [string, number] => [k, (v - (before[app]?.[k] ?? 0)) / events])
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1]);
      const sum = (prefix: string) =>
        round(
          d.filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0),
          1,
        );
      return [
        app,
        {
          postgres: sum('pg '),
          kafka: sum('kafka '),
          top: Object.fromEntries(d.slice(0, 12).map(([k, v]) => [k, round(v, 2)])),
        },
      ];
    }),
  );
}

function printReport(r: Report) {
  out('');
  out(`## Bench: ${r.topology}, ${r.events} events${r.preload ? `, ${r.preload} preloaded` : ''}`);
  out('');
  const b = r.burst!;
  const comps = Object.keys(b.cpuMsPerEventByComponent);
  table(
    ['metric', 'value'],
    [
      ['burst events/s (end to end)', b.eventsPerSecond],
      ['burst CPU-ms per event (all processes)', b.cpuMsPerEvent],
      ...(r.floor
        ? [
            [
              'floor CPU-ms per event (kafka + pg + sendgrid)',
              `${r.floor.cpuMsPerEvent} (${r.floor.parts.kafka} + ${r.floor.parts.postgres} + ${r.floor.parts.sendgrid})`,
            ],
            ['ratio to the floor', `${r.ratio}×`],
          ]
        : []),
      ['Kafka records / row writes per event', `${b.kafkaRecordsPerEvent} / ${b.rowWritesPerEvent}`],
      ...(r.idleCpuMsPerSecond
        ? [
            [
              'idle CPU-ms/s (all processes)',
              round(
                Object.values(r.idleCpuMsPerSecond).reduce((a, c) => a + c, 0),
                1,
              ),
            ],
          ]
        : []),
    ],
  );
  out('');
  table(
    ['component', 'burst CPU-ms/event', 'idle CPU-ms/s', 'RSS max MB (burst)'],
    comps.map((c) => [c, b.cpuMsPerEventByComponent[c], r.idleCpuMsPerSecond?.[c] ?? '', b.rssMb[c] ?? '']),
  );
  out('');
  table(
    ['table (burst)', 'inserts / event', 'updates / event (HOT)', 'deletes / event'],
    b.writes.map((w) => [w.table, w.inserts, `${w.updates} (${w.hotUpdates})`, w.deletes]),
  );
  out('');
  if (b.seqScans.length) {
    table(
      ['table read sequentially (burst)', 'scans', 'rows read per event'],
      b.seqScans.map((x) => [x.table, x.seqScans, x.rowsPerEvent]),
    );
    out('');
  }
  const lat: [string, Hops][] = [
    ['burst', b.latency],
    ...Object.entries(r.steady).map(([k, v]): [string, Hops] => [k, v.latency]),
  ];
  const hops = Object.keys(b.latency).filter((h) => h !== 'endToEnd');
  table(
    ['load', 'end to end p50 / p95 / p99 / max ms', ...hops.map((h) => `${h} p50/p99`)],
    lat.map(([name, l]) => [
      name,
      `${l.endToEnd.p50} / ${l.endToEnd.p95} / ${l.endToEnd.p99} / ${l.endToEnd.max}`,
      ...hops.map((h) => `${l[h].p50} / ${l[h].p99}`),
    ]),
  );
  out('');
  for (const [rate, st] of Object.entries(r.steady)) {
    if (!st.roundTripsPerEvent) continue;
    table(
      [`round trips per event at ${rate}`, 'PostgreSQL statements', 'Kafka requests'],
      Object.entries(st.roundTripsPerEvent).map(([app, t]) => [app, t.postgres, t.kafka]),
    );
    out('');
  }
  out(JSON.stringify(r));
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
