import { MigrationInterface, QueryRunner } from 'typeorm';

/** Quiet hours (issue 10): a distribution may only send within windows of the recipient's local time. */
export class SendWindows1764700000000 implements MigrationInterface {
  name = 'SendWindows1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE distributions ADD COLUMN send_window jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE distributions DROP COLUMN send_window`);
  }
}
