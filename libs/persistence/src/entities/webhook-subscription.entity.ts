import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The events a customer's endpoint can subscribe to (topic names). */
export const WEBHOOK_EVENTS = [
  'link.issued',
  'case.field-updates',
  'invite.status',
  'response.status',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** A customer's endpoint, signed per Standard Webhooks with its own secret (kept encrypted). */
@Entity('webhook_subscriptions')
export class WebhookSubscriptionEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') url: string;
  @Column('jsonb') events: WebhookEventType[];
  /** The signing secret, AES-256-GCM under a key derived from LINK_SIGNING_SECRET; shown once at creation. */
  @Column('text', { name: 'secret_ciphertext' }) secretCiphertext: string;
  @Column('boolean', { default: true }) enabled: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
