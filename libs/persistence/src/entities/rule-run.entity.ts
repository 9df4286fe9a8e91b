import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One execution of a matched rule's actions, in order; `steps` holds each action and its outcome. */
@Entity('rule_runs')
export class RuleRunEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'rule_id' }) ruleId: string;
  @Column('int', { name: 'rule_version' }) ruleVersion: number;
  @Column('text', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'correlation_id' }) correlationId: string;
  @Column('int', { default: 0 }) depth: number;
  @Column('text') status: 'running' | 'completed' | 'failed';
  @Column('int', { name: 'next_step', default: 0 }) nextStep: number;
  /** The survey action the run waits for (its result or its invite's first status moves it on). */
  @Column('uuid', { name: 'waiting_action_id', nullable: true }) waitingActionId: string | null;
  @Column('jsonb') steps: object[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
