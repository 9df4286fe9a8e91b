import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('rules')
export class RuleEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { default: '' }) description: string;
  @Column('int', { default: 1 }) version: number;
  @Column('boolean', { default: true }) enabled: boolean;
  /** Evaluation order among rules with the same trigger. */
  @Column('int', { default: 100 }) priority: number;
  @Column('text') trigger:
    'case.created' | 'case.updated' | 'invite.status.changed' | 'response.status.changed';
  @Column('jsonb') conditions: unknown;
  @Column('jsonb') actions: unknown[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
