import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery funnel and the console's searches (issue 13): a link remembers the rule that issued it (funnel by
 * rule), links and invites are found by distribution and day, invites by recipient.
 */
export class Funnel1765200000000 implements MigrationInterface {
  name = 'Funnel1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE survey_links ADD COLUMN rule_id uuid`);
    await q.query(
      `CREATE INDEX survey_links_distribution_created_idx ON survey_links (distribution_id, created_at)`,
    );
    await q.query(`CREATE INDEX invites_link_idx ON invites (link_id)`);
    await q.query(`CREATE INDEX invites_distribution_created_idx ON invites (distribution_id, created_at)`);
    await q.query(`CREATE INDEX invites_recipient_idx ON invites (lower(recipient))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX invites_recipient_idx`);
    await q.query(`DROP INDEX invites_distribution_created_idx`);
    await q.query(`DROP INDEX invites_link_idx`);
    await q.query(`DROP INDEX survey_links_distribution_created_idx`);
    await q.query(`ALTER TABLE survey_links DROP COLUMN rule_id`);
  }
}
