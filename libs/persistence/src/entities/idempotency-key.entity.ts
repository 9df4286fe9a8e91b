import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The stored answer of a request made with an `Idempotency-Key` (status 0 while the first one is running). */
@Entity('idempotency_keys')
export class IdempotencyKeyEntity {
  @PrimaryColumn('text') principal: string;
  @PrimaryColumn('text') key: string;
  @Column('text', { name: 'request_hash' }) requestHash: string;
  @Column('int') status: number;
  @Column('jsonb') response: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
