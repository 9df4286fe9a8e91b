/** A record as the broker sees it: bytes and headers. */
export interface TransportRecord {
  topic: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface ConsumedRecord extends TransportRecord {
  partition: number;
  offset: string;
}

export interface Subscription {
  groupId: string;
  topic: string;
  /**
   * Handles records, each partition's in order (one call may hold several partitions' records). Resolving means
   * they are done (offsets may be committed); throwing means none of them are, and they will be delivered again.
   */
  onBatch(records: ConsumedRecord[]): Promise<void>;
}

/** A consumer group of this process on one topic, as its health check reports it. */
export interface ConsumerHealth {
  group: string;
  topic: string;
  /** A member of its group now (not rebalancing, crashed or stopped). */
  joined: boolean;
  /** Records of the topic the group has not committed yet, all partitions together (Kafka only). */
  lag?: number;
}

export interface TransportHealth {
  /** The broker answers (Kafka: a metadata request within the check's time). */
  up: boolean;
  message?: string;
  consumers: ConsumerHealth[];
}

/**
 * Our messaging port. Kafka in production, an in-process transport in the embedded mode; nothing outside
 * libs/messaging imports kafkajs.
 */
export abstract class MessageTransport {
  abstract readonly name: 'kafka' | 'in-process';
  abstract ensureTopics(topics: string[]): Promise<void>;
  /** Resolves once every record is durably accepted (Kafka: acks from all in-sync replicas). */
  abstract publish(records: TransportRecord[]): Promise<void>;
  abstract subscribe(sub: Subscription): Promise<void>;
  /**
   * The first step of a graceful stop: this process's consumers finish the batch in hand (and its after-commit
   * work), commit what they handled and leave their groups; publishing still works, so the outbox relay can flush
   * afterwards. The in-process transport has nothing to stop: its consumers run inside `publish`, and the relay's
   * last publish must still reach them.
   */
  async stopConsuming(): Promise<void> {}
  /** For the readiness check: does the broker answer, are the consumers in their groups, how far behind are they. */
  async health(): Promise<TransportHealth> {
    return { up: true, consumers: [] };
  }
  /** Stops everything; after `stopConsuming` when the caller wants to publish in between. */
  abstract close(): Promise<void>;
  /**
   * Stops fetching a topic for this process's consumers (e.g. while a provider's circuit is open) without leaving
   * the group, until `resume`. Records already fetched are still handled. The in-process transport can't hold
   * records back (its publish waits for the consumers), so it ignores this: the sender then defers what it gets.
   */
  pause(_topic: string): void {}
  resume(_topic: string): void {}
}
