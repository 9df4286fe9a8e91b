import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Scalar } from '@fg/contracts';
import { Answers, ResponseEntity } from '../entities/response.entity';
import type { RowOf } from '../row';

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
>;

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
  page(distributionId: string, q: { after: string; status?: string; limit: number }): Promise<ResponseRow[]> {
    return this.ds.query(
      `SELECT id, link_id, case_id, status, source, submitted_at, tags, answers, transaction_data FROM responses
       WHERE distribution_id = $1 AND id > $2 AND ($3::text IS NULL OR status = $3) AND source <> 'test'
       ORDER BY id LIMIT $4`,
      [distributionId, q.after, q.status ?? null, q.limit],
    );
  }
}
