import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Which consumer has already handled which message: the idempotency record. */
@Entity('inbox')
export class InboxEntity {
  @PrimaryColumn('text') consumer: string;
  @PrimaryColumn('text', { name: 'message_id' }) messageId: string;
  @CreateDateColumn({ name: 'processed_at', type: 'timestamptz' }) processedAt: Date;
}
