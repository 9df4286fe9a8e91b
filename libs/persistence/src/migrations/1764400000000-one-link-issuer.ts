import { MigrationInterface, QueryRunner } from 'typeorm';

/** Dynamic expiry counted from the first send: a rule's link waits with `expires_after_seconds` until then. */
export class OneLinkIssuer1764400000000 implements MigrationInterface {
  name = 'OneLinkIssuer1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE survey_links ADD COLUMN expires_after_seconds int`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE survey_links DROP COLUMN expires_after_seconds`);
  }
}
