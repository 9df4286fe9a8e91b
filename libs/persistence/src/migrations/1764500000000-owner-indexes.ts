import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the statements the repositories run in the background, which scanned whole tables before: the
 * sender's reconciler (invites still `sending`), and the rules app's retention of finished runs, fired timers
 * and old evaluations.
 */
export class OwnerIndexes1764500000000 implements MigrationInterface {
  name = 'OwnerIndexes1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX invites_sending_idx ON invites (channel, attempted_at) WHERE delivery_status = 'sending' AND status = 'Pending'`,
    );
    await q.query(`CREATE INDEX rule_runs_finished_idx ON rule_runs (updated_at) WHERE status <> 'running'`);
    await q.query(`CREATE INDEX rule_timers_fired_idx ON rule_timers (fired_at) WHERE fired_at IS NOT NULL`);
    await q.query(`CREATE INDEX rule_evaluations_time_idx ON rule_evaluations (evaluated_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const i of [
      'rule_evaluations_time_idx',
      'rule_timers_fired_idx',
      'rule_runs_finished_idx',
      'invites_sending_idx',
    ])
      await q.query(`DROP INDEX ${i}`);
  }
}
