import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sandbox receipts (issue 13): a message the sandbox kept carries the receipts it will report (delivered, opened,
 * bounced, failed) and when the next one is due, so the funnel, reminders and suppressions work without providers.
 */
export class SandboxReceipts1765300000000 implements MigrationInterface {
  name = 'SandboxReceipts1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sandbox_messages ADD COLUMN receipts jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`ALTER TABLE sandbox_messages ADD COLUMN receipts_due_at timestamptz`);
    await q.query(
      `CREATE INDEX sandbox_messages_receipts_due_idx ON sandbox_messages (channel, receipts_due_at)
       WHERE receipts_due_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sandbox_messages_receipts_due_idx`);
    await q.query(`ALTER TABLE sandbox_messages DROP COLUMN receipts_due_at`);
    await q.query(`ALTER TABLE sandbox_messages DROP COLUMN receipts`);
  }
}
