import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A receipt the sandbox will report for a kept message. */
export interface SandboxReceiptPlan {
  event: string;
  /** ISO time it is due. */
  at: string;
  reason: string | null;
  suppress: string | null;
  /** The send's trace context: the receipt continues it. */
  traceparent?: string;
}

/** A message a sandbox provider kept instead of sending (embedded mode). */
@Entity('sandbox_messages')
export class SandboxMessageEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') channel: string;
  @Column('uuid', { name: 'invite_id', nullable: true }) inviteId: string | null;
  @Column('text', { name: 'to_address' }) toAddress: string;
  @Column('text', { name: 'from_address', nullable: true }) fromAddress: string | null;
  @Column('text', { nullable: true }) subject: string | null;
  @Column('text', { nullable: true }) text: string | null;
  @Column('text', { nullable: true }) html: string | null;
  /** Receipts still to report (sandbox simulation): event, when, reason, suppression. */
  @Column('jsonb', { default: [] }) receipts: SandboxReceiptPlan[];
  @Column('timestamptz', { name: 'receipts_due_at', nullable: true }) receiptsDueAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
