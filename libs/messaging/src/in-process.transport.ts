import { MessageTransport, Subscription, TransportRecord } from './transport';

/**
 * The embedded mode's broker. `publish` hands each record to every subscribed group and resolves only when
 * all of them have handled it (and so committed their own transactions). The outbox relay deletes a row only
 * after that, so a crash at any point leaves the row to be published again: the inbox makes that harmless.
 * Per-topic offsets keep records of a topic in publish order for each group, as one Kafka partition would.
 */
export class InProcessTransport extends MessageTransport {
  readonly name = 'in-process' as const;
  private readonly subs = new Map<string, Subscription[]>();
  private readonly offsets = new Map<string, number>();
  private closed = false;

  async ensureTopics(): Promise<void> {}

  async publish(records: TransportRecord[]): Promise<void> {
    if (this.closed) throw new Error('in-process transport is closed');
    const byTopic = new Map<string, TransportRecord[]>();
    for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    for (const [topic, list] of byTopic) {
      const base = this.offsets.get(topic) ?? 0;
      this.offsets.set(topic, base + list.length);
      const consumed = list.map((r, i) => ({ ...r, partition: 0, offset: String(base + i) }));
      for (const sub of this.subs.get(topic) ?? []) await sub.onBatch(consumed);
    }
  }

  async subscribe(sub: Subscription): Promise<void> {
    this.subs.set(sub.topic, [...(this.subs.get(sub.topic) ?? []), sub]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subs.clear();
  }
}
