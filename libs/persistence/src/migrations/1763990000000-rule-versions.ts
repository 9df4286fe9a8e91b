import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every saved version of a rule, so an evaluation's trace can always name what it ran. */
export class RuleVersions1763990000000 implements MigrationInterface {
  name = 'RuleVersions1763990000000';

  async up(q: QueryRunner): Promise<void> {
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rule_versions`);
  }
}
