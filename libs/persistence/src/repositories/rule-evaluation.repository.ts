import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { RuleEvaluationEntity } from '../entities/rule-evaluation.entity';
import type { RowOf } from '../row';

export type NewEvaluationRow = Omit<RowOf<RuleEvaluationEntity>, 'evaluated_at'>;

export interface EvaluationQuery {
  /** Only these rules (a key limited to some surveys sees their rules only). */
  ruleIds?: string[];
  caseId?: string;
  ruleId?: string;
  matched?: boolean;
  limit: number;
}

/** The only SQL for `rule_evaluations` (the trace operators read). */
@Injectable()
export class RuleEvaluationRepository {
  constructor(private readonly ds: DataSource) {}

  /** A replayed event's evaluations are already there (deterministic ids) and are kept as first written. */
  async insertMany(em: EntityManager, rows: NewEvaluationRow[], at: Date): Promise<void> {
    if (!rows.length) return;
    await em.query(
      `INSERT INTO rule_evaluations (id, case_id, rule_id, rule_version, trigger, event_id, correlation_id, matched,
                                     conditions, run_id, note, evaluated_at)
       SELECT x.id, x.case_id, x.rule_id, x.rule_version, x.trigger, x.event_id, x.correlation_id, x.matched,
              x.conditions, x.run_id, x.note, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, case_id text, rule_id uuid, rule_version int, trigger text,
            event_id text, correlation_id text, matched boolean, conditions jsonb, run_id uuid, note text)
       ON CONFLICT (id) DO NOTHING`,
      [JSON.stringify(rows), at],
    );
  }

  /** Newest first. */
  list(q: EvaluationQuery): Promise<RuleEvaluationEntity[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.ruleIds) where.push(`rule_id = ANY($${params.push(q.ruleIds)}::uuid[])`);
    if (q.caseId) where.push(`case_id = $${params.push(q.caseId)}`);
    if (q.ruleId) where.push(`rule_id = $${params.push(q.ruleId)}`);
    if (q.matched !== undefined) where.push(`matched = $${params.push(q.matched)}`);
    return this.ds.query(
      `SELECT id, case_id AS "caseId", rule_id AS "ruleId", rule_version AS "ruleVersion", trigger,
              event_id AS "eventId", correlation_id AS "correlationId", matched, conditions, run_id AS "runId", note,
              evaluated_at AS "evaluatedAt"
       FROM rule_evaluations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY evaluated_at DESC, id LIMIT $${params.push(q.limit)}`,
      params,
    );
  }

  /** Deletes up to `chunk` evaluations older than `before`. */
  async prune(em: EntityManager, before: Date, chunk: number): Promise<number> {
    const [, n]: [unknown, number] = await em.query(
      `DELETE FROM rule_evaluations WHERE id IN (SELECT id FROM rule_evaluations WHERE evaluated_at < $1 LIMIT ${chunk})`,
      [before],
    );
    return n;
  }
}
