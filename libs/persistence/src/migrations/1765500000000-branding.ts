import { MigrationInterface, QueryRunner } from 'typeorm';

/** A distribution's look on the survey pages (issue 14): logo, accent colour, sender name. */
export class Branding1765500000000 implements MigrationInterface {
  name = 'Branding1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE distributions ADD COLUMN branding jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE distributions DROP COLUMN branding`);
  }
}
