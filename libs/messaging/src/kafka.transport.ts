import { Admin, Consumer, Kafka, logLevel, Producer, CompressionTypes, IHeaders, Offsets } from 'kafkajs';
import { Logger } from '@nestjs/common';
import './kafkajs-idle-fix';
import {
  ConsumedRecord,
  MessageTransport,
  Subscription,
  TransportHealth,
  TransportRecord,
} from './transport';

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  partitions: number;
  /** How long the group waits for a silent member (a killed process) before giving its partitions away. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * Offsets are committed at most this often per consumer group (and once more this long after its last batch),
   * instead of after every batch: at a trickle every batch holds one record, and a commit per batch was a third
   * of all broker requests. 0 commits after every batch. A crash redelivers at most this much, which the inbox
   * absorbs (docs/decisions/0021-performance.md).
   */
  commitIntervalMs?: number;
}

const CHUNK = 250;
/** At most this many records in one call of a subscription's handler (one transaction), merged from partitions. */
const MERGED_MAX = 500;
const CLOSE_TIMEOUT_MS = 10_000;
/** Consumer lag is read from the broker at most this often, however often the readiness probe asks. */
const LAG_CACHE_MS = 5_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<undefined>((r) => {
      t = setTimeout(() => r(undefined), ms);
      t.unref();
    }),
  ]);
}

export class KafkaTransport extends MessageTransport {
  readonly name = 'kafka' as const;
  private readonly log = new Logger('KafkaTransport');
  private readonly kafka: Kafka;
  private producer?: Producer;
  private producerReady?: Promise<Producer>;
  private readonly consumers: Consumer[] = [];
  private readonly byTopic = new Map<string, Consumer[]>();
  private readonly tails: TailCommit[] = [];
  private readonly members: { group: string; topic: string; joined: boolean }[] = [];
  private admin?: Promise<Admin>;
  private lag?: { at: number; byGroup: Map<string, number> };

  constructor(private readonly opts: KafkaTransportOptions) {
    super();
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => this.log.error(entry.log.message, { kafka: entry.namespace }),
      // Reconnect quickly after a broker restart: retry every ≤ 2 s instead of kafkajs' 30 s ceiling.
      retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 10 },
    });
  }

  /**
   * Creates missing topics, then waits until every partition has a leader. kafkajs' own `waitForLeaders` gives
   * up on the "unknown topic or partition" a broker answers for a moment after creation; we retry on it.
   */
  async ensureTopics(topics: string[], timeoutMs = 60_000): Promise<void> {
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length) {
        await admin.createTopics({
          waitForLeaders: false,
          topics: missing.map((topic) => ({ topic, numPartitions: this.opts.partitions })),
        });
      }
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const meta = await admin.fetchTopicMetadata({ topics });
          if (meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
            return;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
        if (Date.now() > deadline) throw new Error(`topics have no leaders after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  private getProducer(): Promise<Producer> {
    if (!this.producerReady) {
      const p = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      this.producerReady = p.connect().then(() => {
        this.producer = p;
        return p;
      });
      this.producerReady.catch(() => (this.producerReady = undefined));
    }
    return this.producerReady;
  }

  async publish(records: TransportRecord[]): Promise<void> {
    if (!records.length) return;
    const producer = await this.getProducer();
    const byTopic = new Map<string, { key: string | null; value: Buffer | null; headers: IHeaders }[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ key: r.key, value: r.value, headers: r.headers });
      byTopic.set(r.topic, list);
    }
    await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async subscribe(sub: Subscription): Promise<void> {
    const sessionTimeout = this.opts.sessionTimeoutMs ?? 6_000;
    const heartbeatInterval = this.opts.heartbeatIntervalMs ?? 1_000;
    const consumer = this.kafka.consumer({
      groupId: sub.groupId,
      sessionTimeout,
      // A rejoin after a rebalance waits at most this long for the other members.
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval,
      // kafkajs heartbeats between fetches: an idle fetch must return well within the session.
      maxWaitTimeInMs: Math.min(5_000, Math.floor(sessionTimeout / 3)),
      allowAutoTopicCreation: false,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 2_000 },
    });
    this.consumers.push(consumer);
    this.byTopic.set(sub.topic, [...(this.byTopic.get(sub.topic) ?? []), consumer]);
    const member = { group: sub.groupId, topic: sub.topic, joined: false };
    this.members.push(member);
    consumer.on(consumer.events.GROUP_JOIN, () => (member.joined = true));
    for (const left of [consumer.events.REBALANCING, consumer.events.CRASH, consumer.events.STOP])
      consumer.on(left, () => (member.joined = false));
    await consumer.connect();
    await consumer.subscribe({ topic: sub.topic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    const merger = new GroupCommit(sub.onBatch, MERGED_MAX);
    const commitInterval = this.opts.commitIntervalMs ?? 0;
    const tail = new TailCommit(commitInterval);
    this.tails.push(tail);
    await consumer.run({
      // kafkajs commits after every batch when autoCommit is on, whatever the interval; off, the batch below
      // commits when the interval has passed, and the tail commit catches the last batch before a quiet spell.
      autoCommit: commitInterval === 0,
      autoCommitInterval: commitInterval || null,
      eachBatchAutoResolve: false,
      // Every partition of the topic at once (each is still handled in order): one busy partition no longer
      // holds back the others' messages until its batch is done.
      partitionsConsumedConcurrently: this.opts.partitions,
      eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        isRunning,
        isStale,
        commitOffsetsIfNecessary,
        uncommittedOffsets,
      }) => {
        const all: ConsumedRecord[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString('utf8') : null,
          value: m.value,
          headers: headersToStrings(m.headers),
        }));
        for (let i = 0; i < all.length; i += CHUNK) {
          if (!isRunning() || isStale()) return;
          const chunk = all.slice(i, i + CHUNK);
          // kafkajs heartbeats only when asked: keep the membership alive while a chunk takes long (a sender
          // pacing its provider calls), so the short session timeout that speeds up recovery can't expire it.
          const beat = setInterval(() => heartbeat().catch(() => undefined), heartbeatInterval);
          try {
            await merger.submit(chunk);
          } finally {
            clearInterval(beat);
          }
          resolveOffset(chunk[chunk.length - 1].offset);
          await commitOffsetsIfNecessary();
          tail.arm(commitOffsetsIfNecessary, uncommittedOffsets);
          await heartbeat();
        }
      },
    });
    await joined;
  }

  /**
   * A metadata request (the broker answers), each consumer's membership, and each group's lag — the high
   * watermarks of its topic's partitions minus its committed offsets — read at most every LAG_CACHE_MS.
   */
  override async health(): Promise<TransportHealth> {
    const consumers = this.members.map((m) => ({ ...m }));
    try {
      const admin = await this.getAdmin();
      await admin.describeCluster();
      if (!this.lag || Date.now() - this.lag.at > LAG_CACHE_MS) {
        const byGroup = new Map<string, number>();
        const highs = new Map<string, Map<number, number>>();
        for (const topic of new Set(consumers.map((c) => c.topic)))
          highs.set(
            topic,
            new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])),
          );
        for (const c of consumers) {
          const [committed] = await admin.fetchOffsets({ groupId: c.group, topics: [c.topic] });
          const high = highs.get(c.topic)!;
          let lag = 0;
          for (const p of committed?.partitions ?? []) {
            const at = Number(p.offset);
            // Nothing committed yet: the group starts from the beginning of the partition.
            lag += Math.max(0, (high.get(p.partition) ?? 0) - (at < 0 ? 0 : at));
          }
          byGroup.set(`${c.group}|${c.topic}`, lag);
        }
        this.lag = { at: Date.now(), byGroup };
      }
      return {
        up: true,
        consumers: consumers.map((c) => ({ ...c, lag: this.lag!.byGroup.get(`${c.group}|${c.topic}`) })),
      };
    } catch (e) {
      this.admin = undefined;
      return { up: false, message: (e as Error).message, consumers };
    }
  }

  private getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => (this.admin = undefined));
    }
    return this.admin;
  }

  override pause(topic: string): void {
    for (const c of this.byTopic.get(topic) ?? []) c.pause([{ topic }]);
  }

  override resume(topic: string): void {
    for (const c of this.byTopic.get(topic) ?? []) c.resume([{ topic }]);
  }

  override async stopConsuming(): Promise<void> {
    // What the last batches resolved, committed before leaving, so a clean stop redelivers nothing.
    await Promise.allSettled(this.tails.map((t) => withTimeout(t.flush(), CLOSE_TIMEOUT_MS)));
    this.tails.length = 0;
    // Bounded: after a broker restart kafkajs' disconnect can wait forever for a group it no longer belongs to,
    // and a stop must not hang (the group's session timeout reassigns the partitions anyway). kafkajs lets the
    // batch in hand finish first.
    await Promise.allSettled(this.consumers.map((c) => withTimeout(c.disconnect(), CLOSE_TIMEOUT_MS)));
    this.consumers.length = 0;
    this.byTopic.clear();
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    const admin = this.admin;
    this.admin = undefined;
    if (admin)
      await withTimeout(
        admin.then((a) => a.disconnect()),
        CLOSE_TIMEOUT_MS,
      ).catch(() => undefined);
    if (this.producer) await withTimeout(this.producer.disconnect(), CLOSE_TIMEOUT_MS).catch(() => undefined);
    this.producer = undefined;
    this.producerReady = undefined;
  }
}

/**
 * Group commit across a consumer group's partitions: the partitions' chunks of one fetch (kafkajs hands them to its
 * workers together) and any that arrive while the handler is busy are handed to it in one call, one transaction,
 * each partition's records still in order (a partition gets its next chunk only once this one is done). At a
 * trickle a chunk waits for nothing; as the rate rises the per-transaction costs are shared by more records.
 */
class GroupCommit {
  private readonly waiting: { records: ConsumedRecord[]; done: (e?: Error) => void }[] = [];
  private busy = false;

  constructor(
    private readonly handle: (records: ConsumedRecord[]) => Promise<void>,
    private readonly max: number,
  ) {}

  submit(records: ConsumedRecord[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ records, done: (e) => (e === undefined ? resolve() : reject(e)) });
      // kafkajs hands the partitions of one fetch to its workers in one go: start once they all have arrived.
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain() {
    while (this.waiting.length) {
      const take = [this.waiting.shift()!];
      let n = take[0].records.length;
      while (this.waiting.length && n + this.waiting[0].records.length <= this.max) {
        n += this.waiting[0].records.length;
        take.push(this.waiting.shift()!);
      }
      let failure: Error | undefined;
      try {
        await this.handle(take.length === 1 ? take[0].records : take.flatMap((t) => t.records));
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
      }
      for (const t of take) t.done(failure);
    }
    this.busy = false;
  }
}

type CommitFn = (offsets?: Offsets) => Promise<void>;

/**
 * Commits a group's resolved offsets `interval` ms after its last batch. It goes through the batch's own commit
 * function, so it commits the current assignment's offsets with the current generation: after a rebalance the
 * old assignment's offsets are gone from it, and a commit from a replaced member is refused by the broker and
 * ignored here (the new owner starts from the last committed offset; the inbox absorbs the repeat).
 */
class TailCommit {
  private timer?: NodeJS.Timeout;
  private commit?: CommitFn;
  private uncommitted?: () => Offsets;

  constructor(private readonly interval: number) {}

  arm(commit: CommitFn, uncommitted: () => Offsets): void {
    if (this.interval === 0) return;
    this.commit = commit;
    this.uncommitted = uncommitted;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.interval);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const offsets = this.uncommitted?.();
    if (!offsets?.topics.length || !this.commit) return;
    await this.commit(offsets).catch(() => undefined);
  }
}

function headersToStrings(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}
