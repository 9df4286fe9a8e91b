import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ResponseStatus } from '@fg/contracts';
import { SurveyLinkEntity } from '../entities/survey-link.entity';
import { returnedRows } from '../transaction';

/** A submission window is due for reset: evaluated on the row being updated, in UTC (see submission-window.ts). */
const WINDOW_DUE = `(s.submission_limit->'reset' IS NOT NULL AND s.submission_limit->'reset' <> 'null'::jsonb
  AND s.window_started_at IS NOT NULL
  AND ((s.window_started_at AT TIME ZONE 'UTC')
       + ((s.submission_limit->'reset'->>'amount') || ' ' || (s.submission_limit->'reset'->>'unit'))::interval
      ) AT TIME ZONE 'UTC' <= $2::timestamptz)`;

/** The only SQL for `survey_links`. */
@Injectable()
export class SurveyLinkRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<SurveyLinkEntity | null> {
    return em.getRepository(SurveyLinkEntity).findOneBy({ id });
  }

  findByTokenHash(tokenHash: string, em: EntityManager = this.ds.manager): Promise<SurveyLinkEntity | null> {
    return em.getRepository(SurveyLinkEntity).findOneBy({ tokenHash });
  }

  /** The distribution of each link that exists. */
  async distributionsOf(ids: string[], em: EntityManager = this.ds.manager): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows: { id: string; distribution_id: string }[] = await em.query(
      `SELECT id, distribution_id FROM survey_links WHERE id = ANY($1::uuid[])`,
      [[...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.id, r.distribution_id]));
  }

  /** The distributions a case has links for. */
  async distributionsOfCase(caseId: string, em: EntityManager = this.ds.manager): Promise<string[]> {
    const rows: { distribution_id: string }[] = await em.query(
      `SELECT DISTINCT distribution_id FROM survey_links WHERE case_id = $1`,
      [caseId],
    );
    return rows.map((r) => r.distribution_id);
  }

  /**
   * Counts one submission unless the link's limit is reached; a window whose reset is due starts over. One
   * conditional statement on the link's row: concurrent submits queue on the row lock and each re-evaluates the
   * condition and the reset on the row as the previous one left it, so with a limit of one exactly one counts,
   * even at the instant a window resets.
   */
  async countSubmission(linkId: string, now: Date, em: EntityManager): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await em.query(
        `UPDATE survey_links s SET
           submissions = CASE WHEN ${WINDOW_DUE} THEN 1 ELSE s.submissions + 1 END,
           window_started_at = CASE WHEN ${WINDOW_DUE} OR s.window_started_at IS NULL THEN $2::timestamptz
                                    ELSE s.window_started_at END
         WHERE s.id = $1 AND (s.submission_limit IS NULL OR s.submission_limit = 'null'::jsonb OR ${WINDOW_DUE}
                              OR s.submissions < (s.submission_limit->>'allowed')::int)
         RETURNING s.id`,
        [linkId, now],
      ),
    );
    return rows.length > 0;
  }

  /** Moves the link's response status to `to` if it is one of `behind`; the previous status, or null. */
  async advanceResponseStatus(
    linkId: string,
    to: ResponseStatus,
    behind: ResponseStatus[],
    at: Date,
    em: EntityManager,
  ): Promise<{ caseId: string | null; distributionId: string; previous: ResponseStatus } | null> {
    const [row] = returnedRows<{ case_id: string | null; distribution_id: string; previous: ResponseStatus }>(
      await em.query(
        `UPDATE survey_links l SET response_status = $2, opened_at = COALESCE(l.opened_at, $3)
         FROM (SELECT id, response_status AS previous FROM survey_links WHERE id = $1 FOR UPDATE) old
         WHERE l.id = old.id AND l.response_status = ANY($4::text[])
         RETURNING l.case_id, l.distribution_id, old.previous`,
        [linkId, to, at, behind],
      ),
    );
    return row ? { caseId: row.case_id, distributionId: row.distribution_id, previous: row.previous } : null;
  }

  /** Revokes a link (revoking twice keeps the first time); null when there is no such link. */
  async revoke(id: string, at: Date): Promise<Date | null> {
    const [row] = returnedRows<{ revoked_at: Date }>(
      await this.ds.query(
        `UPDATE survey_links SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING revoked_at`,
        [id, at],
      ),
    );
    return row?.revoked_at ?? null;
  }

  /** Records that the caller delivered the link itself (the first report wins); null when there is no such link. */
  async markSent(id: string, at: Date, channel: string): Promise<{ sentAt: Date; channel: string } | null> {
    const [row] = returnedRows<{ reported_sent_at: Date; reported_sent_channel: string }>(
      await this.ds.query(
        `UPDATE survey_links SET reported_sent_at = COALESCE(reported_sent_at, $2),
                reported_sent_channel = COALESCE(reported_sent_channel, $3)
         WHERE id = $1 RETURNING reported_sent_at, reported_sent_channel`,
        [id, at, channel],
      ),
    );
    return row ? { sentAt: row.reported_sent_at, channel: row.reported_sent_channel } : null;
  }

  /** Links of a distribution, how many the caller reported sending, and how many are at each response status. */
  async stats(distributionId: string) {
    const [s]: { links: number; reported: number }[] = await this.ds.query(
      `SELECT count(*)::int AS links, count(reported_sent_at)::int AS reported FROM survey_links
       WHERE distribution_id = $1 AND source <> 'test'`,
      [distributionId],
    );
    const byStatus: { response_status: string; n: number }[] = await this.ds.query(
      `SELECT response_status, count(*)::int AS n FROM survey_links WHERE distribution_id = $1 AND source <> 'test' GROUP BY 1`,
      [distributionId],
    );
    return {
      links: s.links,
      reportedSent: s.reported,
      byResponseStatus: Object.fromEntries(byStatus.map((r) => [r.response_status, r.n])),
    };
  }
}
