import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A moment a time-based rule must be evaluated again for a case ("last sent before 2 days"). */
@Entity('rule_timers')
export class RuleTimerEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'rule_id' }) ruleId: string;
  @Column('text', { name: 'case_id' }) caseId: string;
  @Column('timestamptz', { name: 'due_at' }) dueAt: Date;
  @Column('text') reason: string;
  @Column('text', { name: 'correlation_id', nullable: true }) correlationId: string | null;
  @Column('timestamptz', { name: 'fired_at', nullable: true }) firedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
