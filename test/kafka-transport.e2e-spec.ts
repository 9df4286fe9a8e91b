import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { KafkaTransport } from '../libs/messaging/src/kafka.transport';
import { ConsumedRecord } from '../libs/messaging/src/transport';
import { eventually } from './support/eventually';

/**
 * Offset commits on the real broker: at a trickle every batch holds one record, and committing after each was a
 * third of the broker's requests (issue #12). Commits are now coalesced per group, the last batch before a quiet
 * spell is still committed, and a clean stop leaves nothing to redeliver.
 */
describe('Kafka transport offset commits', () => {
  const brokers = process.env.KAFKA_BROKERS!.split(',');
  const admin = new Kafka({ clientId: 'fg-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  const transports: KafkaTransport[] = [];

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await Promise.allSettled(transports.map((t) => t.close()));
    await admin.disconnect();
  });

  function transport(commitIntervalMs: number) {
    const t = new KafkaTransport({ brokers, clientId: 'fg-test', partitions: 1, commitIntervalMs });
    transports.push(t);
    return t;
  }

  async function committed(groupId: string, topic: string): Promise<string> {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t.partitions[0].offset;
  }

  /** Publishes `n` records one at a time, each after the previous one was handled: n batches of one. */
  async function trickle(t: KafkaTransport, topic: string, seen: ConsumedRecord[], n: number) {
    for (let i = 0; i < n; i++) {
      await t.publish([{ topic, key: 'k', value: Buffer.from(String(i)), headers: {} }]);
      await eventually(() => expect(seen).toHaveLength(i + 1), 20_000, 5);
    }
  }

  /** A group on a fresh topic that records what it handles and counts its offset commits. */
  async function counting(commitIntervalMs: number) {
    const topic = `fg-test-commits-${randomUUID()}`;
    const groupId = `g-${randomUUID()}`;
    const t = transport(commitIntervalMs);
    await t.ensureTopics([topic]);
    const seen: ConsumedRecord[] = [];
    const counted = { commits: 0 };
    await t.subscribe({ groupId, topic, onBatch: async (r) => void seen.push(...r) });
    const [consumer] = (t as unknown as { consumers: import('kafkajs').Consumer[] }).consumers;
    consumer.on(consumer.events.COMMIT_OFFSETS, () => counted.commits++);
    return { t, topic, groupId, seen, counted };
  }

  it('commits a trickle of batches a few times, not once per batch, and commits the last one', async () => {
    const { t, topic, groupId, seen, counted } = await counting(2_000);
    await trickle(t, topic, seen, 20);
    // Twenty batches of one: every record handled, in order, each in its own batch.
    expect(seen.map((r) => r.value!.toString())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // The last batch's offset is committed once the group has been quiet for the interval.
    await eventually(async () => expect(await committed(groupId, topic)).toBe('20'), 20_000, 200);
    expect(counted.commits).toBeGreaterThanOrEqual(1);
    expect(counted.commits).toBeLessThan(20);
  });

  it('commits every batch with an interval of 0', async () => {
    const { t, topic, groupId, seen, counted } = await counting(0);
    await trickle(t, topic, seen, 5);
    await eventually(async () => expect(await committed(groupId, topic)).toBe('5'), 20_000, 200);
    expect(counted.commits).toBeGreaterThanOrEqual(5);
  });

  it('a clean stop commits what was handled, so the next member of the group starts after it', async () => {
    const topic = `fg-test-commits-${randomUUID()}`;
    const groupId = `g-${randomUUID()}`;
    const first = transport(60_000);
    await first.ensureTopics([topic]);
    const seen: ConsumedRecord[] = [];
    await first.subscribe({ groupId, topic, onBatch: async (r) => void seen.push(...r) });
    await trickle(first, topic, seen, 3);
    await first.close();
    expect(await committed(groupId, topic)).toBe('3');

    const second = transport(60_000);
    const again: ConsumedRecord[] = [];
    await second.subscribe({ groupId, topic, onBatch: async (r) => void again.push(...r) });
    await second.publish([{ topic, key: 'k', value: Buffer.from('after'), headers: {} }]);
    await eventually(() => expect(again.map((r) => r.value!.toString())).toEqual(['after']));
  });

  it('hands the partitions of one fetch to one call, each partition in order', async () => {
    const topic = `fg-test-merge-${randomUUID()}`;
    const groupId = `g-${randomUUID()}`;
    const t = new KafkaTransport({ brokers, clientId: 'fg-test', partitions: 6, commitIntervalMs: 1000 });
    transports.push(t);
    await t.ensureTopics([topic]);
    // Two records for each of 24 keys, waiting on several partitions before the group starts.
    const keys = Array.from({ length: 24 }, (_, i) => `k${i}`);
    await t.publish(
      [0, 1].flatMap((n) =>
        keys.map((k) => ({ topic, key: k, value: Buffer.from(`${k}:${n}`), headers: {} })),
      ),
    );
    const calls: ConsumedRecord[][] = [];
    await t.subscribe({ groupId, topic, onBatch: async (records) => void calls.push(records) });

    await eventually(() => expect(calls.flat()).toHaveLength(48));
    const all = calls.flat();
    const partitions = new Set(all.map((r) => r.partition));
    expect(partitions.size).toBeGreaterThanOrEqual(2);
    // Fewer calls (transactions) than partitions with records; every record once; each partition in order.
    expect(calls.length).toBeLessThan(partitions.size);
    expect(new Set(all.map((r) => `${r.partition}@${r.offset}`)).size).toBe(48);
    for (const p of partitions) {
      const offsets = all.filter((r) => r.partition === p).map((r) => Number(r.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    for (const k of keys)
      expect(all.filter((r) => r.key === k).map((r) => r.value!.toString())).toEqual([`${k}:0`, `${k}:1`]);
  });
});
