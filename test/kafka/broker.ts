import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { freePort } from '../../libs/common/src/net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/**
 * A real Apache Kafka broker (KRaft, one node) from Maven Central artifacts, for the test run. The version
 * lives in test/kafka/pom.xml; jars are cached in .cache/kafka/libs so later runs don't download again.
 */
const ROOT = resolve(__dirname, '../..');
const LIBS = join(ROOT, '.cache/kafka/libs');
const MARKER = join(LIBS, '.complete');

export interface RunningBroker {
  brokers: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
  /** Kills the broker's JVM at once (kill -9), keeping its data directory and ports. */
  kill(): Promise<void>;
  /** Starts the broker again on the same data directory and ports; resolves once it answers. */
  restart(): Promise<void>;
}

export function ensureKafkaJars(): void {
  if (existsSync(MARKER)) return;
  mkdirSync(LIBS, { recursive: true });
  const r = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(ROOT, 'test/kafka/pom.xml'),
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${LIBS}`,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`resolving the Kafka broker with Maven failed (exit ${r.status})`);
  if (!readdirSync(LIBS).some((f) => f.startsWith('kafka_2.13-')))
    throw new Error('Kafka jars missing after mvn');
  writeFileSync(MARKER, new Date().toISOString());
}

export { freePort };

/**
 * `production`: the JVM's full optimising compiler, as a deployed broker runs (the bench). Tests use only the quick
 * C1 compiler: the broker starts sooner, and its steady-state speed doesn't matter there.
 */
export async function startKafkaBroker(
  partitions = 3,
  opts: { production?: boolean } = {},
): Promise<RunningBroker> {
  ensureKafkaJars();
  const dir = mkdtempSync(join(tmpdir(), 'fg-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const props = `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${join(dir, 'data')}
num.partitions=${partitions}
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
num.network.threads=2
num.io.threads=4
auto.create.topics.enable=false
`;
  writeFileSync(join(dir, 'server.properties'), props);
  writeFileSync(
    join(dir, 'log4j2.properties'),
    `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [kafka %d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
`,
  );
  const cp = `${LIBS}/*`;
  const fmt = spawnSync(
    'java',
    [
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      'ZmVlZGJhY2stZ2F0ZXdheQ',
      '-c',
      join(dir, 'server.properties'),
    ],
    { encoding: 'utf8' },
  );
  if (fmt.status !== 0) throw new Error(`kafka storage format failed: ${fmt.stderr || fmt.stdout}`);
  const java = [
    'java',
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    ...(opts.production ? [] : ['-XX:TieredStopAtLevel=1']),
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
    '-cp',
    `'${cp}'`,
    'kafka.Kafka',
    join(dir, 'server.properties'),
  ].join(' ');
  // A watchdog shell: the broker dies with the test runner even if the runner is killed before its teardown.
  const pidFile = join(dir, 'java.pid');
  const watchdog = `${java} & jp=$!
echo $jp > ${pidFile}
trap 'kill $jp 2>/dev/null; wait $jp; exit 0' TERM INT
while kill -0 ${process.pid} 2>/dev/null && kill -0 $jp 2>/dev/null; do sleep 1; done
kill $jp 2>/dev/null; wait $jp`;
  let proc!: ChildProcess;
  let exited!: Promise<number | null>;
  const launch = () => {
    proc = spawn('bash', ['-c', watchdog], { stdio: ['ignore', 'inherit', 'inherit'] });
    exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  };
  launch();
  const brokers = `127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const kill = async () => {
    const jvm = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(jvm, 'SIGKILL');
    await exited;
  };
  const restart = async () => {
    launch();
    await waitUntilReady(brokers, exited);
  };
  try {
    await waitUntilReady(brokers, exited);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    brokers,
    get pid() {
      return proc.pid!;
    },
    dir,
    stop,
    kill,
    restart,
  };
}

async function waitUntilReady(brokers: string, exited: Promise<number | null>): Promise<void> {
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const deadline = Date.now() + 90_000;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error('the Kafka broker exited during start-up (see its output above)');
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  throw new Error(`Kafka broker at ${brokers} not ready after 90 s`);
}
