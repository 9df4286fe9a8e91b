import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Channel } from '@fg/contracts';

/** At most `maxInvites` invitations per contact per period, across surveys (all channels when `channel` is null). */
@Entity('quarantine_rules')
export class QuarantineRuleEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) channel: Channel | null;
  @Column('int', { name: 'max_invites' }) maxInvites: number;
  @Column('int', { name: 'period_amount' }) periodAmount: number;
  @Column('text', { name: 'period_unit' }) periodUnit: 'hours' | 'days' | 'weeks' | 'months' | 'years';
  @Column('boolean', { default: true }) enabled: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
