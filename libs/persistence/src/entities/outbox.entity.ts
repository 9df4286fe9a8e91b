import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Messages written in the same transaction as the business change, published afterwards by the relay. */
@Entity('outbox')
export class OutboxEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id: string;
  /** The app that wrote it; that app's relay publishes it. */
  @Column('text') origin: string;
  @Column('text') topic: string;
  @Column('text', { nullable: true }) key: string | null;
  @Column('jsonb') headers: Record<string, string>;
  @Column('text') value: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
