import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One answer per case by default (issue 14): links of a case whose distribution sets no submission limit accept
 * one completion. New links get it when issued (LinkIssuer); links issued before get it here, counted as used
 * when they were already completed.
 */
export class OneAnswerPerCase1765400000000 implements MigrationInterface {
  name = 'OneAnswerPerCase1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE survey_links l
      SET submission_limit = '{"allowed": 1, "reset": null}'::jsonb,
          submissions = CASE WHEN l.response_status = 'Completed' THEN greatest(l.submissions, 1) ELSE l.submissions END
      FROM distributions d
      WHERE d.id = l.distribution_id AND d.submission_limit IS NULL
        AND l.submission_limit IS NULL AND l.case_id IS NOT NULL`);
  }

  async down(): Promise<void> {
    // Which links had no limit before is not kept: nothing to undo safely.
  }
}
