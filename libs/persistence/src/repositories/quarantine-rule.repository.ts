import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Channel } from '@fg/contracts';
import { QuarantineRuleEntity } from '../entities/quarantine-rule.entity';
import type { RowOf } from '../row';
import { returnedRows } from '../transaction';

export type PeriodUnitOfQuarantine = QuarantineRuleEntity['periodUnit'];

export type QuarantineRuleRow = Omit<RowOf<QuarantineRuleEntity>, 'enabled' | 'created_at'>;

export interface QuarantineRuleInput {
  name: string;
  channel: Channel | null;
  maxInvites: number;
  period: { amount: number; unit: PeriodUnitOfQuarantine };
  enabled: boolean;
}

/** The only SQL for `quarantine_rules`. */
@Injectable()
export class QuarantineRuleRepository {
  constructor(private readonly ds: DataSource) {}

  /** The enabled rules that apply to a channel, oldest first. */
  enabledFor(em: EntityManager, channel: Channel): Promise<QuarantineRuleRow[]> {
    return em.query(
      `SELECT id, name, channel, max_invites, period_amount, period_unit FROM quarantine_rules
       WHERE enabled AND (channel IS NULL OR channel = $1) ORDER BY created_at`,
      [channel],
    );
  }

  list() {
    return this.ds.query(
      `SELECT id, name, channel, max_invites AS "maxInvites", json_build_object('amount', period_amount, 'unit', period_unit) AS period, enabled
       FROM quarantine_rules ORDER BY created_at`,
    );
  }

  async insert(id: string, r: QuarantineRuleInput): Promise<void> {
    await this.ds.query(
      `INSERT INTO quarantine_rules (id, name, channel, max_invites, period_amount, period_unit, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, r.name, r.channel, r.maxInvites, r.period.amount, r.period.unit, r.enabled],
    );
  }

  /** Replaces a rule; false when there is no such rule. */
  async update(id: string, r: QuarantineRuleInput): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await this.ds.query(
        `UPDATE quarantine_rules SET name = $2, channel = $3, max_invites = $4, period_amount = $5, period_unit = $6,
           enabled = $7 WHERE id = $1 RETURNING id`,
        [id, r.name, r.channel, r.maxInvites, r.period.amount, r.period.unit, r.enabled],
      ),
    );
    return rows.length > 0;
  }
}
