import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Scalar } from '@fg/contracts';
import { Answers, ResponseEntity } from '../entities/response.entity';
import type { RowOf } from '../row';
import { invitationChannelOf, linksInvitedOn } from './invite.repository';

/** Which completed responses a report covers. */
export interface ResponseFilter {
  distributionIds: string[];
  from?: Date;
  to?: Date;
  channel?: string;
  language?: string;
  /** Distribution tags the response carries, every one. */
  tags?: Record<string, string>;
}

/** Filter `f` as a WHERE clause over responses aliased `r`, its parameters from `$1`. */
function responseWhere(f: ResponseFilter): { sql: string; params: unknown[] } {
  return {
    sql: `r.distribution_id = ANY($1::uuid[]) AND r.status = 'Completed' AND r.source <> 'test'
      AND ($2::timestamptz IS NULL OR r.submitted_at >= $2) AND ($3::timestamptz IS NULL OR r.submitted_at < $3)
      AND ($4::text IS NULL OR r.link_id IN (${linksInvitedOn('$4')}))
      AND ($5::text IS NULL OR r.language = $5) AND r.tags @> $6::jsonb`,
    params: [
      f.distributionIds,
      f.from ?? null,
      f.to ?? null,
      f.channel ?? null,
      f.language ?? null,
      JSON.stringify(f.tags ?? {}),
    ],
  };
}

export type { Answers };

export type ResponseRow = Pick<
  RowOf<ResponseEntity>,
  | 'id'
  | 'link_id'
  | 'case_id'
  | 'status'
  | 'source'
  | 'submitted_at'
  | 'tags'
  | 'answers'
  | 'transaction_data'
  | 'language'
> & { channel: string | null };

/** The only SQL for `responses`. */
@Injectable()
export class ResponseRepository {
  constructor(private readonly ds: DataSource) {}

  /** The answers of the link's response in progress, if any. */
  async openAnswers(linkId: string, em: EntityManager = this.ds.manager): Promise<Answers | null> {
    const [open]: { answers: Answers }[] = await em.query(
      `SELECT answers FROM responses WHERE link_id = $1 AND status <> 'Completed'`,
      [linkId],
    );
    return open?.answers ?? null;
  }

  /**
   * Saves the link's response in progress (answers merged over those saved before), or closes it as Completed.
   * At most one response is open per link (unique index); a submit after a completion starts a new one.
   */
  async save(
    em: EntityManager,
    r: {
      id: string;
      linkId: string;
      distributionId: string;
      caseId: string | null;
      status: 'In Progress' | 'Partially Completed' | 'Completed';
      answers: Answers;
      tags: Record<string, string>;
      transactionData: Record<string, Scalar>;
      language: string;
      /** `test`: a test send's link; left out of counts and exports. */
      source: 'hosted' | 'external' | 'test';
      at: Date;
    },
  ): Promise<void> {
    const submittedAt = r.status === 'Completed' ? r.at : null;
    const [open]: { id: string }[] = await em.query(
      `SELECT id FROM responses WHERE link_id = $1 AND status <> 'Completed' FOR UPDATE`,
      [r.linkId],
    );
    if (open) {
      await em.query(
        `UPDATE responses SET answers = answers || $2::jsonb, status = $3, updated_at = $4, submitted_at = $5 WHERE id = $1`,
        [open.id, JSON.stringify(r.answers), r.status, r.at, submittedAt],
      );
      return;
    }
    await em.query(
      `INSERT INTO responses (id, link_id, distribution_id, case_id, status, answers, tags, transaction_data, language,
                              source, started_at, updated_at, submitted_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $11, $12)`,
      [
        r.id,
        r.linkId,
        r.distributionId,
        r.caseId,
        r.status,
        JSON.stringify(r.answers),
        JSON.stringify(r.tags),
        JSON.stringify(r.transactionData),
        r.language,
        r.source,
        r.at,
        submittedAt,
      ],
    );
  }

  countCompleted(distributionId: string): Promise<number> {
    return this.ds
      .query(
        `SELECT count(*)::int AS n FROM responses WHERE distribution_id = $1 AND status = 'Completed' AND source <> 'test'`,
        [distributionId],
      )
      .then((rows: { n: number }[]) => rows[0].n);
  }

  /** A page of a distribution's responses in id order (keyset), with the data bound to each link. */
  page(
    distributionId: string,
    q: {
      after: string;
      status?: string;
      limit: number;
      from?: Date;
      to?: Date;
      channel?: string;
      language?: string;
    },
  ): Promise<ResponseRow[]> {
    return this.ds.query(
      `SELECT r.id, r.link_id, r.case_id, r.status, r.source, r.submitted_at, r.tags, r.answers, r.transaction_data,
              r.language, ${invitationChannelOf('r.link_id')} AS channel
       FROM responses r
       WHERE r.distribution_id = $1 AND r.id > $2 AND ($3::text IS NULL OR r.status = $3) AND r.source <> 'test'
         AND ($5::timestamptz IS NULL OR r.submitted_at >= $5) AND ($6::timestamptz IS NULL OR r.submitted_at < $6)
         AND ($7::text IS NULL OR r.link_id IN (${linksInvitedOn('$7')}))
         AND ($8::text IS NULL OR r.language = $8)
       ORDER BY r.id LIMIT $4`,
      [
        distributionId,
        q.after,
        q.status ?? null,
        q.limit,
        q.from ?? null,
        q.to ?? null,
        q.channel ?? null,
        q.language ?? null,
      ],
    );
  }

  /** How often each answer was given to each question (free-text questions left out), over completed responses. */
  async answerCounts(
    f: ResponseFilter,
    freeText: string[],
  ): Promise<{ total: number; counts: { question: string; value: string; count: number }[] }> {
    const w = responseWhere(f);
    const [{ total }]: { total: number }[] = await this.ds.query(
      `SELECT count(*)::int AS total FROM responses r WHERE ${w.sql}`,
      w.params,
    );
    const counts: { question: string; value: string; count: number }[] = await this.ds.query(
      `SELECT a.key AS question, a.value, count(*)::int AS count
       FROM responses r, jsonb_each_text(r.answers) a
       WHERE ${w.sql} AND NOT (a.key = ANY($7::text[]))
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [...w.params, freeText],
    );
    return { total, counts };
  }

  /** The latest answers to free-text questions, `perQuestion` of each, newest first. */
  latestTexts(
    f: ResponseFilter,
    questions: string[],
    perQuestion: number,
  ): Promise<{ question: string; text: string; responseId: string; submittedAt: Date }[]> {
    if (!questions.length) return Promise.resolve([]);
    const w = responseWhere(f);
    return this.ds.query(
      `SELECT question, text, "responseId", "submittedAt" FROM (
         SELECT a.key AS question, a.value AS text, r.id AS "responseId", r.submitted_at AS "submittedAt",
                row_number() OVER (PARTITION BY a.key ORDER BY r.submitted_at DESC, r.id) AS n
         FROM responses r, jsonb_each_text(r.answers) a
         WHERE ${w.sql} AND a.key = ANY($7::text[]) AND btrim(a.value) <> ''
       ) t WHERE n <= $8 ORDER BY question, "submittedAt" DESC`,
      [...w.params, questions, perQuestion],
    );
  }
}
