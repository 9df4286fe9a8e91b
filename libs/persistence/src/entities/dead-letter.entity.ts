import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A message a consumer could not handle (or a send the provider never took within the retry horizon), kept with
 * its reason and original bytes and headers until an operator redrives it. The same record also went to
 * `<topic>.dlq` for consumers that read Kafka.
 */
@Entity('dead_letters')
export class DeadLetterEntity {
  @PrimaryColumn('uuid') id: string;
  /** The consumer (inbox scope) that gave up on it, e.g. `rules` or `sender-sms`. */
  @Column('text') consumer: string;
  /** The topic's full name (with any prefix). */
  @Column('text', { name: 'source_topic' }) sourceTopic: string;
  @Column('integer', { name: 'source_partition', nullable: true }) sourcePartition: number | null;
  @Column('text', { name: 'source_offset', nullable: true }) sourceOffset: string | null;
  @Column('text', { name: 'record_key', nullable: true }) recordKey: string | null;
  @Column('bytea', { nullable: true }) value: Buffer | null;
  /** The original headers (CloudEvents attributes in binary mode), without the dlq-* ones. */
  @Column('jsonb') headers: Record<string, string>;
  @Column('text') code: string;
  @Column('text') reason: string;
  /** The CloudEvent id, when the record could be read as one. */
  @Column('text', { name: 'event_id', nullable: true }) eventId: string | null;
  /** A send that failed for good: redriving it opens the invite for another attempt. */
  @Column('uuid', { name: 'invite_id', nullable: true }) inviteId: string | null;
  /** An outbound webhook delivery that failed for good: redriving it tries the endpoint again. */
  @Column('uuid', { name: 'webhook_delivery_id', nullable: true }) webhookDeliveryId: string | null;
  @Column('timestamptz', { name: 'failed_at' }) failedAt: Date;
  @Column('timestamptz', { name: 'redriven_at', nullable: true }) redrivenAt: Date | null;
  @Column('integer', { name: 'redrive_count', default: 0 }) redriveCount: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
