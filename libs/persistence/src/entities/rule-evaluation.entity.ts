import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The trace of one rule evaluated for one case event: each condition with the values it saw. */
@Entity('rule_evaluations')
export class RuleEvaluationEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text', { name: 'case_id' }) caseId: string;
  @Column('uuid', { name: 'rule_id' }) ruleId: string;
  @Column('int', { name: 'rule_version' }) ruleVersion: number;
  @Column('text') trigger: string;
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'correlation_id', nullable: true }) correlationId: string | null;
  @Column('boolean') matched: boolean;
  @Column('jsonb') conditions: unknown;
  @Column('uuid', { name: 'run_id', nullable: true }) runId: string | null;
  @Column('text', { nullable: true }) note: string | null;
  @Column('timestamptz', { name: 'evaluated_at' }) evaluatedAt: Date;
}
