import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Contact, Scalar } from '@fg/contracts';

/** Our latest snapshot of a case in the source CRM. */
@Entity('cases')
export class CaseEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'case_number', nullable: true }) caseNumber: string | null;
  @Column('jsonb', { default: () => `'{}'` }) fields: Record<string, Scalar>;
  @Column('jsonb', { name: 'custom_fields', default: () => `'{}'` }) customFields: Record<string, Scalar>;
  @Column('jsonb', { nullable: true }) contact: Contact | null;
  @Column('bigint', { name: 'source_version', nullable: true }) sourceVersion: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
