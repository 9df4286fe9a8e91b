/**
 * What the Kafka broker alone costs at idle on this machine: the same launcher and JVM flags as the bench's broker
 * (full optimising compiler), no client connected, CPU time read from /proc after a warm-up. The idle target of
 * the whole deployment is judged against this figure (docs/decisions/0021-performance.md).
 *
 *     node -r @swc-node/register bench/broker-idle.ts [--warmup 30] [--seconds 60]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafkaBroker } from '../test/kafka/broker';
import { cpuMs } from './procstat';

const { values: opt } = parseArgs({
  options: { warmup: { type: 'string', default: '30' }, seconds: { type: 'string', default: '60' } },
});

async function main() {
  const broker = await startKafkaBroker(6, { production: true });
  try {
    await new Promise((r) => setTimeout(r, Number(opt.warmup) * 1000));
    const seconds = Number(opt.seconds);
    // The JVM itself, not the watchdog shell that launched it.
    const jvm = Number(readFileSync(join(broker.dir, 'java.pid'), 'utf8').trim());
    const before = cpuMs(jvm)!;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const used = cpuMs(jvm)! - before;
    process.stdout.write(
      `${JSON.stringify({ brokerAloneIdleCpuMsPerSecond: Math.round((used / seconds) * 10) / 10, seconds })}\n`,
    );
  } finally {
    await broker.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
