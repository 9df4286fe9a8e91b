import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deadLetterTopicOf } from '@fg/contracts';
import { Metrics, newId } from '@fg/common';
import { DeadLetterRepository } from '@fg/persistence';
import { MessageTransport, TransportRecord } from './transport';

/** The headers a dead letter carries besides the original record's. */
export const DLQ_HEADERS = [
  'dlq-reason',
  'dlq-code',
  'dlq-consumer',
  'dlq-source-topic',
  'dlq-source-partition',
  'dlq-source-offset',
  'dlq-failed-at',
] as const;

export interface DeadLetter {
  /** The record as it arrived (or as it would be published, for a send that failed for good). */
  record: TransportRecord & { partition?: number; offset?: string };
  consumer: string;
  reason: string;
  code: string;
  /** A send that failed for good: redriving it opens the invite again. */
  inviteId?: string;
  /** An outbound webhook delivery that failed for good: redriving it tries the endpoint again. */
  webhookDeliveryId?: string;
  /** false: kept for the API only (its source is not a topic, e.g. a customer's webhook endpoint). */
  publish?: boolean;
}

/**
 * The one dead-letter path: a record no consumer could handle is kept in `dead_letters` (for the ops API's list
 * and redrive) and published to `<topic>.dlq` with its reason (for whoever reads Kafka). The row first: a failure
 * there throws, so the record is delivered again rather than dropped; both writes are idempotent per record.
 */
export class DeadLetters {
  private readonly log = new Logger('DeadLetters');

  constructor(
    private readonly ds: DataSource,
    private readonly transport: MessageTransport,
    private readonly metrics: Metrics,
    private readonly repo = new DeadLetterRepository(ds),
  ) {}

  async send(dl: DeadLetter): Promise<void> {
    const { record } = dl;
    const failedAt = new Date();
    const headers = Object.fromEntries(
      Object.entries(record.headers)
        .filter(([k]) => !(DLQ_HEADERS as readonly string[]).includes(k))
        .map(([k, v]) => [storable(k), storable(v)]),
    );
    // Whatever the message held, its dead letter can be stored: a reason quoting a NUL must not stall the partition.
    const reason = storable(dl.reason).slice(0, 2000);
    await this.repo.insert({
      id: newId(),
      consumer: dl.consumer,
      source_topic: record.topic,
      source_partition: record.partition ?? null,
      source_offset: record.offset ?? null,
      record_key: record.key === null ? null : storable(record.key),
      value: record.value,
      headers,
      code: dl.code,
      reason,
      event_id: headers.ce_id ?? null,
      invite_id: dl.inviteId ?? null,
      webhook_delivery_id: dl.webhookDeliveryId ?? null,
      failed_at: failedAt,
    });
    this.metrics.deadLetters.inc({ topic: record.topic, code: dl.code });
    this.log.warn(`dead-lettered ${record.topic}${record.offset ? `@${record.offset}` : ''}: ${dl.reason}`);
    if (dl.publish === false) return;
    await this.transport.publish([
      {
        topic: deadLetterTopicOf(record.topic),
        key: record.key,
        value: record.value,
        headers: {
          ...headers,
          'dlq-reason': reason,
          'dlq-code': dl.code,
          'dlq-consumer': dl.consumer,
          'dlq-source-topic': record.topic,
          ...(record.partition !== undefined ? { 'dlq-source-partition': String(record.partition) } : {}),
          ...(record.offset !== undefined ? { 'dlq-source-offset': record.offset } : {}),
          'dlq-failed-at': failedAt.toISOString(),
        },
      },
    ]);
  }
}

/** Text PostgreSQL can store (no NUL, which neither text nor jsonb accepts): NUL shown as `\u0000`. */
function storable(s: string): string {
  return s.includes('\u0000') ? s.split('\u0000').join('\\u0000') : s;
}
