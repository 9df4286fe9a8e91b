import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each page for the updates every case and link gets right after it is written (a case's custom fields
 * when its link is issued, a link's expiry when it is first sent). Neither changes an indexed column, so with free
 * space on the page Postgres updates them in place (HOT) instead of writing a new entry in every index — the
 * pages were full (fillfactor 100), so none of these updates was HOT (issue 12, decision 0021).
 * Also drops invites_provider_message_idx: nothing looks invites up by the provider's message id (receipts carry our
 * invite id), yet every invite insert and status update wrote an entry in it.
 */
export class HotUpdates1765000000000 implements MigrationInterface {
  name = 'HotUpdates1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases SET (fillfactor = 80)`);
    await q.query(`ALTER TABLE survey_links SET (fillfactor = 80)`);
    await q.query(`DROP INDEX invites_provider_message_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX invites_provider_message_idx ON invites (provider_message_id)`);
    await q.query(`ALTER TABLE survey_links RESET (fillfactor)`);
    await q.query(`ALTER TABLE cases RESET (fillfactor)`);
  }
}
