import { Consumer, Kafka, KafkaMessage, logLevel, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { eventually } from './eventually';

export interface SeenMessage {
  topic: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** A real kafkajs client for tests: produce raw records and watch topics. */
export class KafkaTestClient {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private readonly consumers: Consumer[] = [];

  constructor(brokers = process.env.KAFKA_BROKERS!) {
    this.kafka = new Kafka({ clientId: 'fg-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  }

  async produce(
    topic: string,
    messages: { key?: string; value: string | Buffer | null; headers?: Record<string, string> }[],
  ) {
    if (!this.producer) {
      this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await this.producer.connect();
    }
    await this.producer.send({ topic, acks: -1, messages });
  }

  /** Starts collecting everything on `topic` (from the beginning); resolves once the group has joined. */
  async watch(topic: string): Promise<TopicWatch> {
    const consumer = this.kafka.consumer({ groupId: `fg-test-${randomUUID()}`, sessionTimeout: 10_000 });
    this.consumers.push(consumer);
    const seen: SeenMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      eachMessage: async ({ topic: t, message }) => {
        seen.push(toSeen(t, message));
      },
    });
    await joined;
    return new TopicWatch(seen);
  }

  async close() {
    await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
    await this.producer?.disconnect();
  }
}

export class TopicWatch {
  constructor(readonly seen: SeenMessage[]) {}

  json<T = Record<string, unknown>>(): (SeenMessage & { data: T })[] {
    return this.seen.map((m) => ({ ...m, data: parseOrNull(m.value) as T }));
  }

  async waitFor<T = Record<string, unknown>>(
    pred: (m: SeenMessage & { data: T }) => boolean,
    timeoutMs = 20_000,
  ): Promise<SeenMessage & { data: T }> {
    return eventually(() => {
      const m = this.json<T>().find(pred);
      if (!m) throw new Error(`no matching message among ${this.seen.length} seen`);
      return m;
    }, timeoutMs);
  }
}

function toSeen(topic: string, m: KafkaMessage): SeenMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  return { topic, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers };
}

function parseOrNull(v: string | null): unknown {
  try {
    return JSON.parse(v ?? 'null');
  } catch {
    return null;
  }
}

/** A structured-mode CloudEvent record (what a CRM or tool produces), keyed by `key`, with a fresh id. */
export function structuredEvent(
  key: string,
  type: string,
  data: Record<string, unknown>,
  source = 'crm-test',
) {
  return {
    key,
    value: JSON.stringify({ specversion: '1.0', id: randomUUID(), source, type, data }),
    headers: { 'content-type': 'application/cloudevents+json' },
  };
}

/** A valid `link.issued` CloudEvent (structured mode) for `caseId`, with the given event id. */
export function linkIssuedEvent(id: string, caseId: string) {
  return {
    specversion: '1.0',
    id,
    source: 'link-issuer',
    type: 'link.issued',
    data: {
      linkId: randomUUID(),
      caseId,
      distributionId: randomUUID(),
      url: 'https://surveys.example.test/s/x',
      expiresAt: null,
    },
  };
}
