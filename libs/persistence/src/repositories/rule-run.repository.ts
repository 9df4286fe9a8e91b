import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { RuleRunEntity } from '../entities/rule-run.entity';
import type { RowOf } from '../row';

/** A run as the rule engine works with it (its steps typed by the engine). */
export type StoredRun<S> = Pick<
  RuleRunEntity,
  | 'id'
  | 'ruleId'
  | 'ruleVersion'
  | 'caseId'
  | 'correlationId'
  | 'depth'
  | 'status'
  | 'nextStep'
  | 'waitingActionId'
> & { steps: S[] };

type RunRow = RowOf<Omit<StoredRun<unknown>, 'steps'>> & { steps: unknown[] };

const fromRow = <S>(r: RunRow): StoredRun<S> => ({
  id: r.id,
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  caseId: r.case_id,
  correlationId: r.correlation_id,
  depth: r.depth,
  status: r.status,
  nextStep: r.next_step,
  waitingActionId: r.waiting_action_id,
  steps: r.steps as S[],
});

/** The only SQL for `rule_runs`. */
@Injectable()
export class RuleRunRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts runs a replayed trigger may already have made (deterministic ids); returns the ids that are new. */
  async insertNew(em: EntityManager, runs: StoredRun<unknown>[], now: Date): Promise<Set<string>> {
    if (!runs.length) return new Set();
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO rule_runs (id, rule_id, rule_version, case_id, correlation_id, depth, status, steps, created_at, updated_at)
       SELECT x.id, x.rule_id, x.rule_version, x.case_id, x.correlation_id, x.depth, 'running', x.steps, $2, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, rule_id uuid, rule_version int, case_id text,
            correlation_id text, depth int, steps jsonb)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        JSON.stringify(
          runs.map((r) => ({
            id: r.id,
            rule_id: r.ruleId,
            rule_version: r.ruleVersion,
            case_id: r.caseId,
            correlation_id: r.correlationId,
            depth: r.depth,
            steps: r.steps,
          })),
        ),
        now,
      ],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /** The runs waiting for these actions, locked for the rest of the transaction, by the action they wait for. */
  async lockWaiting<S>(em: EntityManager, actionIds: string[]): Promise<Map<string, StoredRun<S>>> {
    if (!actionIds.length) return new Map();
    const rows: RunRow[] = await em.query(
      `SELECT id, rule_id, rule_version, case_id, correlation_id, depth, status, next_step, waiting_action_id, steps
       FROM rule_runs WHERE waiting_action_id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [[...new Set(actionIds)]],
    );
    return new Map(rows.map((r) => [r.waiting_action_id!, fromRow<S>(r)]));
  }

  // `= ANY(ids)` beside the join: the planner then knows how many rows the batch touches and uses the primary key;
  // from the JSON record set alone it assumes 100 rows and hashes the whole table (batch-plans.medium-spec.ts).
  /** Stores where each run is (one statement for the batch). */
  async saveProgress(em: EntityManager, runs: StoredRun<unknown>[], now: Date): Promise<void> {
    if (!runs.length) return;
    await em.query(
      `UPDATE rule_runs r SET status = x.status, next_step = x.next_step, waiting_action_id = x.waiting_action_id,
              steps = x.steps, updated_at = $2
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, next_step int, waiting_action_id uuid, steps jsonb)
       WHERE r.id = x.id AND r.id = ANY($3::uuid[])`,
      [
        JSON.stringify(
          runs.map((r) => ({
            id: r.id,
            status: r.status,
            next_step: r.nextStep,
            waiting_action_id: r.waitingActionId,
            steps: r.steps,
          })),
        ),
        now,
        runs.map((r) => r.id),
      ],
    );
  }

  /** For the evaluation trace. */
  async byIds<S>(ids: string[], em: EntityManager = this.ds.manager): Promise<Map<string, StoredRun<S>>> {
    if (!ids.length) return new Map();
    const rows: RunRow[] = await em.query(
      `SELECT id, rule_id, rule_version, case_id, correlation_id, depth, status, next_step, waiting_action_id, steps
       FROM rule_runs WHERE id = ANY($1::uuid[])`,
      [[...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.id, fromRow<S>(r)]));
  }

  /** Deletes up to `chunk` finished runs last changed before `before`; runs still waiting are kept. */
  async pruneFinished(em: EntityManager, before: Date, chunk: number): Promise<number> {
    const [, n]: [unknown, number] = await em.query(
      `DELETE FROM rule_runs WHERE id IN (SELECT id FROM rule_runs WHERE status <> 'running' AND updated_at < $1 LIMIT ${chunk})`,
      [before],
    );
    return n;
  }
}
