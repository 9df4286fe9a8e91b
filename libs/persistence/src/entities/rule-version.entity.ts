import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Every save of a rule, exactly as saved; runs execute the version that matched. */
@Entity('rule_versions')
export class RuleVersionEntity {
  @PrimaryColumn('uuid', { name: 'rule_id' }) ruleId: string;
  @PrimaryColumn('int') version: number;
  @Column('jsonb') definition: Record<string, unknown>;
  @Column('text', { name: 'created_by', nullable: true }) createdBy: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
