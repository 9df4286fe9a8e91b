import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Responses from every entry point in one table: `source` says whether the respondent answered on our hosted
 * page or a survey tool hosting the distribution reported it, and each response carries the data bound to its
 * link (exports and the JSON API show it without a join).
 */
export class ResponsesOnePath1764300000000 implements MigrationInterface {
  name = 'ResponsesOnePath1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE responses ADD COLUMN source text NOT NULL DEFAULT 'hosted'`);
    await q.query(`ALTER TABLE responses ADD COLUMN transaction_data jsonb NOT NULL DEFAULT '{}'`);
    await q.query(
      `UPDATE responses r SET transaction_data = l.transaction_data FROM survey_links l WHERE l.id = r.link_id`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE responses DROP COLUMN transaction_data`);
    await q.query(`ALTER TABLE responses DROP COLUMN source`);
  }
}
