import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ResponseStatus } from '@fg/contracts';
import { SurveyLinkEntity } from '../entities/survey-link.entity';
import type { RowOf } from '../row';
import { returnedRows } from '../transaction';
import { INVITATION_OUTCOMES_SQL } from './invite.repository';

/** The stages of the delivery funnel, in order: each link counts once in every stage it reached. */
export const FUNNEL_STAGES = [
  'issued',
  'sent',
  'delivered',
  'opened',
  'surveyOpened',
  'started',
  'completed',
] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];
export type FunnelCounts = Record<FunnelStage, number>;
export type FunnelGrouping = 'none' | 'channel' | 'language' | 'rule' | 'day';

export interface FunnelQuery {
  distributionId: string;
  from: Date;
  to: Date;
  groupBy: FunnelGrouping;
  channel?: string;
  language?: string;
  ruleId?: string;
}

/** What a link's funnel group is, by grouping (`l`: the link, `o`: its invitation's outcome). */
const FUNNEL_KEY: Record<FunnelGrouping, string> = {
  none: `'all'`,
  channel: `coalesce(o.channel, l.reported_sent_channel, 'none')`,
  language: 'l.language',
  rule: `coalesce(l.rule_id::text, l.source)`,
  day: `to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

/** A submission window is due for reset: evaluated on the row being updated, in UTC (see submission-window.ts). */
const WINDOW_DUE = `(s.submission_limit->'reset' IS NOT NULL AND s.submission_limit->'reset' <> 'null'::jsonb
  AND s.window_started_at IS NOT NULL
  AND ((s.window_started_at AT TIME ZONE 'UTC')
       + ((s.submission_limit->'reset'->>'amount') || ' ' || (s.submission_limit->'reset'->>'unit'))::interval
      ) AT TIME ZONE 'UTC' <= $2::timestamptz)`;

type Row = RowOf<SurveyLinkEntity>;

export type NewLinkRow = Pick<
  Row,
  | 'id'
  | 'distribution_id'
  | 'case_id'
  | 'contact_id'
  | 'token_hash'
  | 'language'
  | 'starts_at'
  | 'expires_at'
  | 'expires_after_seconds'
  | 'created_at'
> & {
  source: 'rule' | 'api' | 'bulk' | 'test';
  /** The rule whose action issued it (funnel by rule), when a rule did. */
  rule_id: string | null;
  /** hex */
  nonce: string;
  transaction_data: Record<string, unknown>;
  submission_limit: unknown;
};

export type StoredLinkRow = Pick<
  Row,
  | 'id'
  | 'distribution_id'
  | 'case_id'
  | 'contact_id'
  | 'source'
  | 'token_nonce'
  | 'transaction_data'
  | 'language'
  | 'starts_at'
  | 'expires_at'
  | 'created_at'
>;

const STORED = `id, distribution_id, case_id, contact_id, source, token_nonce, transaction_data, language, starts_at,
  expires_at, created_at`;

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

  /**
   * Inserts links in one statement; a row that would be a second link where there may be only one (one per
   * (distribution, case), one bulk link per (distribution, contact)) is skipped. Returns the ids inserted.
   */
  async insertMany(em: EntityManager, rows: NewLinkRow[]): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO survey_links (id, distribution_id, case_id, contact_id, source, rule_id, token_hash, token_nonce,
                                 transaction_data, language, starts_at, expires_at, expires_after_seconds,
                                 submission_limit, created_at)
       SELECT x.id, x.distribution_id, x.case_id, x.contact_id, x.source, x.rule_id, x.token_hash,
              decode(x.nonce, 'hex'), x.transaction_data, x.language, x.starts_at, x.expires_at,
              x.expires_after_seconds, x.submission_limit, x.created_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, distribution_id uuid, case_id text, contact_id uuid,
            source text, rule_id uuid, token_hash text, nonce text, transaction_data jsonb, language text,
            starts_at timestamptz, expires_at timestamptz, expires_after_seconds int, submission_limit jsonb,
            created_at timestamptz)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(rows)],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /** Links by id (`em` null: outside a transaction). */
  findManyById(em: EntityManager | null, ids: string[]): Promise<StoredLinkRow[]> {
    return (em ?? this.ds.manager).query(`SELECT ${STORED} FROM survey_links WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
  }

  /** The one link of each (distribution, case). */
  /** The response status of every link of these cases, for the rules' survey conditions. */
  responseStatusesOfCases(
    em: EntityManager,
    caseIds: string[],
  ): Promise<Pick<SurveyLinkEntity, 'caseId' | 'distributionId' | 'responseStatus'>[]> {
    if (!caseIds.length) return Promise.resolve([]);
    return em.query(
      `SELECT case_id AS "caseId", distribution_id AS "distributionId", response_status AS "responseStatus"
       FROM survey_links WHERE case_id = ANY($1::text[])`,
      [caseIds],
    );
  }

  findForCases(
    em: EntityManager,
    pairs: { distributionId: string; caseId: string }[],
  ): Promise<StoredLinkRow[]> {
    return em.query(
      `SELECT ${STORED.replace(/(^|, *\n? *)(\w+)/g, '$1l.$2')} FROM survey_links l
       JOIN unnest($1::uuid[], $2::text[]) AS p(d, c) ON l.distribution_id = p.d AND l.case_id = p.c`,
      [pairs.map((p) => p.distributionId), pairs.map((p) => p.caseId)],
    );
  }

  /** The bulk link of each contact in a distribution. */
  findBulk(em: EntityManager, distributionId: string, contactIds: string[]): Promise<StoredLinkRow[]> {
    return em.query(
      `SELECT ${STORED} FROM survey_links WHERE distribution_id = $1 AND source = 'bulk' AND contact_id = ANY($2::uuid[])`,
      [distributionId, contactIds],
    );
  }

  /**
   * The first send starts a dynamic expiry: links still waiting for it get `now + expires_after_seconds`. Returns
   * every given link's expiry after that (null: it never expires).
   */
  async startExpiry(em: EntityManager, linkIds: string[], now: Date): Promise<Map<string, Date | null>> {
    if (!linkIds.length) return new Map();
    await em.query(
      `UPDATE survey_links SET expires_at = $2::timestamptz + make_interval(secs => expires_after_seconds)
       WHERE id = ANY($1::uuid[]) AND expires_at IS NULL AND expires_after_seconds IS NOT NULL`,
      [linkIds, now],
    );
    const rows: { id: string; expires_at: Date | null }[] = await em.query(
      `SELECT id, expires_at FROM survey_links WHERE id = ANY($1::uuid[])`,
      [linkIds],
    );
    return new Map(rows.map((r) => [r.id, r.expires_at]));
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

  /**
   * The delivery funnel of the links a distribution issued in [from, to) (test links left out), grouped. A stage
   * counts the links that reached it: sent (by us or reported by you), delivered, message opened (email opens,
   * WhatsApp reads), survey opened, started, completed.
   */
  funnel(q: FunnelQuery): Promise<({ key: string } & FunnelCounts)[]> {
    return this.ds.query(
      `SELECT ${FUNNEL_KEY[q.groupBy]} AS key,
              count(*)::int AS issued,
              count(*) FILTER (WHERE o.sent OR l.reported_sent_at IS NOT NULL)::int AS sent,
              count(*) FILTER (WHERE o.delivered)::int AS delivered,
              count(*) FILTER (WHERE o.opened)::int AS opened,
              count(*) FILTER (WHERE l.opened_at IS NOT NULL OR l.response_status <> 'Not Started')::int
                AS "surveyOpened",
              count(*) FILTER (WHERE l.response_status IN ('In Progress', 'Partially Completed', 'Completed'))::int
                AS started,
              count(*) FILTER (WHERE l.response_status = 'Completed')::int AS completed
       FROM survey_links l LEFT JOIN (${INVITATION_OUTCOMES_SQL}) o ON o.link_id = l.id
       WHERE l.distribution_id = $1 AND l.source <> 'test' AND l.created_at >= $2 AND l.created_at < $3
         AND ($4::text IS NULL OR coalesce(o.channel, l.reported_sent_channel) = $4)
         AND ($5::text IS NULL OR l.language = $5)
         AND ($6::uuid IS NULL OR l.rule_id = $6)
       GROUP BY 1 ORDER BY 1`,
      [q.distributionId, q.from, q.to, q.channel ?? null, q.language ?? null, q.ruleId ?? null],
    );
  }
}
