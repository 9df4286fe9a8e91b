import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RuleTimerEntity } from '../entities/rule-timer.entity';
import type { RowOf } from '../row';

export type NewTimerRow = Pick<
  RowOf<RuleTimerEntity>,
  'id' | 'rule_id' | 'case_id' | 'reason' | 'correlation_id'
> & {
  /** ISO time */
  due_at: string;
};

export type DueTimer = Pick<RuleTimerEntity, 'id' | 'ruleId' | 'caseId' | 'correlationId'>;

/** The only SQL for `rule_timers`. */
@Injectable()
export class RuleTimerRepository {
  /** One timer per (rule, case, moment): a replayed send schedules nothing new. */
  async insertMany(em: EntityManager, rows: NewTimerRow[]): Promise<void> {
    if (!rows.length) return;
    await em.query(
      `INSERT INTO rule_timers (id, rule_id, case_id, due_at, reason, correlation_id)
       SELECT x.id, x.rule_id, x.case_id, x.due_at, x.reason, x.correlation_id
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, rule_id uuid, case_id text, due_at timestamptz, reason text,
            correlation_id text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }

  /** Claims up to `limit` due timers for this transaction; other instances skip them (SKIP LOCKED). */
  claimDue(em: EntityManager, now: Date, limit: number): Promise<DueTimer[]> {
    return em.query(
      `SELECT id, rule_id AS "ruleId", case_id AS "caseId", correlation_id AS "correlationId" FROM rule_timers
       WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
      [now],
    );
  }

  async markFired(em: EntityManager, ids: string[], at: Date): Promise<void> {
    await em.query(`UPDATE rule_timers SET fired_at = $2 WHERE id = ANY($1::uuid[])`, [ids, at]);
  }

  /** Deletes up to `chunk` timers fired before `before`. */
  async pruneFired(em: EntityManager, before: Date, chunk: number): Promise<number> {
    const [, n]: [unknown, number] = await em.query(
      `DELETE FROM rule_timers WHERE id IN (SELECT id FROM rule_timers WHERE fired_at < $1 LIMIT ${chunk})`,
      [before],
    );
    return n;
  }
}
