import { Inject, Injectable } from '@nestjs/common';
import { EventTrace, outgoingTrace } from './tracing';
import { NewOutboxRow, OutboxRepository, PendingOutboxRow } from './outbox.repository';
import { DataSource, EntityManager } from 'typeorm';
import { CloudEvent, PayloadOf, TopicKey, Topics, encodeCloudEvent, formatIssues } from '@fg/contracts';
import { DomainError, ErrorCode, currentCorrelationId, newId } from '@fg/common';
import { MESSAGING_OPTIONS, MessagingOptions, TopicNames } from './options';

export interface OutgoingEvent<K extends TopicKey = TopicKey> {
  topic: K;
  data: PayloadOf<K>;
  /** Partition key: the case id, so one case's events stay in order. */
  key: string;
  subject?: string;
  type?: string;
  id?: string;
  /** Set when forwarding an event that came from outside, keeping its identity. */
  source?: string;
  time?: string;
  correlationId?: string;
  /** CloudEvents `ruledepth` extension: set on case events that rule actions cause. */
  ruleDepth?: number;
  /**
   * The trace context and unknown extensions to carry (default: the active span's context, else that of the
   * event being handled, and that event's unknown extensions; see tracing.ts).
   */
  trace?: EventTrace;
}

/** Header of an outbox row whose value is not kept as UTF-8 text (`base64`, or `null` for no value); never published. */
export const OUTBOX_VALUE_ENCODING = 'fg-outbox-value';

/**
 * Writes events into the outbox table inside the caller's transaction, validated against their topic's
 * contract. Rows are buffered per transaction and inserted in one statement by `flush` (the consumer runner
 * and `UnitOfWork.run` call it before commit). Adding to any other transaction throws: the event would be lost.
 */
@Injectable()
export class OutboxService {
  private readonly pending = new WeakMap<EntityManager, NewOutboxRow[]>();
  private readonly rows = new OutboxRepository();
  /** Transactions that flush the outbox before they commit: a unit of work, or a consumer runner's batch. */
  private readonly managed = new WeakSet<EntityManager>();

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly opts: MessagingOptions,
    private readonly names: TopicNames,
    private readonly ds: DataSource,
  ) {}

  /** Marks a transaction as one that flushes the outbox before it commits (UnitOfWork, the consumer runner). */
  begin(em: EntityManager): void {
    this.managed.add(em);
  }

  add<K extends TopicKey>(em: EntityManager, ev: OutgoingEvent<K>): string {
    if (!this.managed.has(em))
      throw new Error(
        `outbox event for ${ev.topic} added outside a unit of work: it would never be written (use UnitOfWork.run)`,
      );
    const contract = Topics[ev.topic];
    const parsed = contract.schema.safeParse(ev.data);
    if (!parsed.success) {
      throw new DomainError(
        ErrorCode.INVALID_MESSAGE,
        `outgoing ${contract.name}: ${formatIssues(parsed.error)}`,
      );
    }
    const id = ev.id ?? newId();
    const ce: CloudEvent = {
      specversion: '1.0',
      id,
      source: ev.source ?? `feedback-gateway/${this.opts.app}`,
      type: ev.type ?? contract.types[0],
      time: ev.time ?? new Date().toISOString(),
      subject: ev.subject ?? ev.key,
      correlationid: ev.correlationId ?? currentCorrelationId() ?? id,
      ...(ev.ruleDepth !== undefined ? { ruledepth: ev.ruleDepth } : {}),
      ...(ev.trace ?? outgoingTrace()),
      data: parsed.data,
    };
    const raw = encodeCloudEvent(ce, ev.key);
    const rows = this.pending.get(em) ?? [];
    rows.push({
      origin: this.opts.app,
      topic: this.names.of(ev.topic),
      key: raw.key,
      headers: raw.headers,
      value: raw.value!.toString('utf8'),
    });
    this.pending.set(em, rows);
    return id;
  }

  /**
   * A record as it was consumed (a dead letter being redriven): topic, key, headers and value exactly, published by
   * the relay after the transaction commits — never from inside it, where an in-process consumer would need the
   * connection the transaction holds. A value that is not UTF-8 text is kept as base64 and decoded by the relay.
   */
  addRecord(
    em: EntityManager,
    r: { topic: string; key: string | null; value: Buffer | null; headers: Record<string, string> },
  ) {
    if (!this.managed.has(em))
      throw new Error(`outbox record for ${r.topic} added outside a unit of work: it would never be written`);
    const text = r.value?.toString('utf8');
    const encoding = r.value === null ? 'null' : Buffer.from(text!, 'utf8').equals(r.value) ? null : 'base64';
    const rows = this.pending.get(em) ?? [];
    rows.push({
      origin: this.opts.app,
      topic: r.topic,
      key: r.key,
      headers: encoding ? { ...r.headers, [OUTBOX_VALUE_ENCODING]: encoding } : r.headers,
      value: encoding === 'base64' ? r.value!.toString('base64') : (text ?? ''),
    });
    this.pending.set(em, rows);
  }

  /** Writes the transaction's rows; returns them with their ids, to hand to the relay once it has committed. */
  async flush(em: EntityManager): Promise<PendingOutboxRow[]> {
    const rows = this.pending.get(em);
    if (!rows?.length) return [];
    this.pending.delete(em);
    return this.rows.insertMany(em, rows);
  }
}
