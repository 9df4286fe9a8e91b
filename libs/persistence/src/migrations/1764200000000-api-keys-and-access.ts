import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys managed over REST and the CLI: an expiry, when each key was last used, a short public prefix to tell
 * keys apart in lists, who made it and when it was last rotated. Indexes for resolving an object to its survey
 * (central authorization) without scanning whole tables.
 */
export class ApiKeysAndAccess1764200000000 implements MigrationInterface {
  name = 'ApiKeysAndAccess1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN expires_at timestamptz`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN key_prefix text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN created_by text`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN rotated_at timestamptz`);
    await q.query(`CREATE INDEX IF NOT EXISTS distributions_survey_idx ON distributions (survey_id)`);
    await q.query(`CREATE INDEX IF NOT EXISTS survey_links_case_idx ON survey_links (case_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS survey_links_case_idx`);
    await q.query(`DROP INDEX IF EXISTS distributions_survey_idx`);
    for (const c of ['rotated_at', 'created_by', 'key_prefix', 'last_used_at', 'expires_at'])
      await q.query(`ALTER TABLE api_keys DROP COLUMN ${c}`);
  }
}
