import { Column, Entity, PrimaryColumn } from 'typeorm';

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One event for one subscription: its attempts and the endpoint's answers (the delivery log). */
@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  /** Also the `webhook-id` header: the receiver's idempotency key across retries. */
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'subscription_id' }) subscriptionId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  /** The CloudEvent's `source#id`: one delivery per subscription and event. */
  @Column('text', { name: 'event_id' }) eventId: string;
  /** The body, as sent: `{ type, timestamp, data }`. */
  @Column('jsonb') payload: { type: string; timestamp: string; data: unknown };
  @Column('text', { default: 'pending' }) status: WebhookDeliveryStatus;
  @Column('integer', { default: 0 }) attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('timestamptz', { name: 'last_attempt_at', nullable: true }) lastAttemptAt: Date | null;
  @Column('integer', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
