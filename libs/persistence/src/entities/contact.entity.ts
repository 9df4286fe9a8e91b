import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Scalar } from '@fg/contracts';

/** A person bulk links are made for, upserted by the customer's own id (`custom_id`). */
@Entity('contacts')
export class ContactEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text', { name: 'custom_id', nullable: true }) customId: string | null;
  @Column('text', { name: 'first_name', nullable: true }) firstName: string | null;
  @Column('text', { name: 'last_name', nullable: true }) lastName: string | null;
  @Column('text', { nullable: true }) email: string | null;
  @Column('text', { nullable: true }) phone: string | null;
  @Column('text', { nullable: true }) language: string | null;
  @Column('jsonb', { default: {} }) attributes: Record<string, Scalar>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
