import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Every receipt applied to an invite, kept for audit and to ignore duplicates. */
@Entity('delivery_receipts')
export class DeliveryReceiptEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'invite_id' }) inviteId: string;
  @Column('text') provider: string;
  @Column('text') event: string;
  @Column('text', { name: 'provider_event_id', nullable: true }) providerEventId: string | null;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
