import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rule engine: every saved version of a rule, the runs that execute a matched rule's actions in order,
 * the evaluation trace operators read, and the durable timers that re-evaluate time-based rules.
 */
export class RuleEngine1763990000000 implements MigrationInterface {
  name = 'RuleEngine1763990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rules ADD COLUMN description text NOT NULL DEFAULT ''`);
    await q.query(`
      CREATE TABLE rule_versions (
        rule_id uuid NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
        version int NOT NULL,
        definition jsonb NOT NULL,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (rule_id, version)
      )`);
    await q.query(`
      INSERT INTO rule_versions (rule_id, version, definition)
      SELECT id, version, jsonb_build_object('name', name, 'trigger', trigger, 'enabled', enabled,
             'priority', priority, 'conditions', conditions, 'actions', actions)
      FROM rules`);
    await q.query(`
      CREATE TABLE rule_runs (
        id uuid PRIMARY KEY,
        rule_id uuid NOT NULL,
        rule_version int NOT NULL,
        case_id text NOT NULL,
        correlation_id text NOT NULL,
        depth int NOT NULL DEFAULT 0,
        status text NOT NULL CHECK (status IN ('running','completed','failed')),
        next_step int NOT NULL DEFAULT 0,
        waiting_action_id uuid,
        steps jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX rule_runs_case_idx ON rule_runs (case_id, created_at)`);
    await q.query(
      `CREATE UNIQUE INDEX rule_runs_waiting_idx ON rule_runs (waiting_action_id) WHERE waiting_action_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE rule_evaluations (
        id uuid PRIMARY KEY,
        case_id text NOT NULL,
        rule_id uuid NOT NULL,
        rule_version int NOT NULL,
        trigger text NOT NULL,
        event_id text NOT NULL,
        correlation_id text,
        matched boolean NOT NULL,
        conditions jsonb NOT NULL,
        run_id uuid,
        note text,
        evaluated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX rule_evaluations_case_idx ON rule_evaluations (case_id, evaluated_at)`);
    await q.query(`CREATE INDEX rule_evaluations_rule_idx ON rule_evaluations (rule_id, evaluated_at)`);
    await q.query(`
      CREATE TABLE rule_timers (
        id uuid PRIMARY KEY,
        rule_id uuid NOT NULL,
        case_id text NOT NULL,
        due_at timestamptz NOT NULL,
        reason text NOT NULL,
        correlation_id text,
        fired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (rule_id, case_id, due_at)
      )`);
    await q.query(`CREATE INDEX rule_timers_due_idx ON rule_timers (due_at) WHERE fired_at IS NULL`);
    await q.query(
      `CREATE UNIQUE INDEX invites_one_thank_you_per_case ON invites (distribution_id, case_id) WHERE kind = 'thank_you'`,
    );
    await q.query(`ALTER TABLE invites ADD COLUMN use_distribution_account boolean NOT NULL DEFAULT true`);
    // null: the key may edit every survey; otherwise only these.
    await q.query(`ALTER TABLE api_keys ADD COLUMN survey_ids uuid[]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN survey_ids`);
    await q.query(`ALTER TABLE rules DROP COLUMN description`);
    await q.query(`ALTER TABLE invites DROP COLUMN use_distribution_account`);
    await q.query(`DROP INDEX invites_one_thank_you_per_case`);
    for (const t of ['rule_timers', 'rule_evaluations', 'rule_runs', 'rule_versions'])
      await q.query(`DROP TABLE ${t}`);
  }
}
