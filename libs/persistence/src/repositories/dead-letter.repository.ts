import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DeadLetterEntity } from '../entities/dead-letter.entity';
import type { RowOf } from '../row';
import { returnedRows } from '../transaction';

type Row = RowOf<DeadLetterEntity>;
export type NewDeadLetterRow = Omit<Row, 'redriven_at' | 'redrive_count' | 'created_at' | 'value'> & {
  value: Buffer | null;
};

/** Which dead letters an operator means: some ids, or every one matching a topic, code and/or consumer. */
export interface DeadLetterFilter {
  ids?: string[];
  topic?: string;
  code?: string;
  consumer?: string;
  /** pending: not redriven yet (what a redrive takes); redriven; all (the default for a list). */
  state?: 'pending' | 'redriven' | 'all';
}

const WHERE = `($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
  AND ($2::text IS NULL OR source_topic = $2) AND ($3::text IS NULL OR code = $3)
  AND ($4::text IS NULL OR consumer = $4) AND ($5::text = 'all' OR ($5::text = 'pending') = (redriven_at IS NULL))`;
const params = (f: DeadLetterFilter) => [
  f.ids ?? null,
  f.topic ?? null,
  f.code ?? null,
  f.consumer ?? null,
  f.state ?? 'all',
];

/** The only SQL for `dead_letters`. */
@Injectable()
export class DeadLetterRepository {
  constructor(private readonly ds: DataSource) {}

  /** Keeps a dead letter once per (consumer, source record) or (consumer, invite): redeliveries add nothing. */
  async insert(row: NewDeadLetterRow, em: EntityManager = this.ds.manager): Promise<boolean> {
    const r = returnedRows<{ id: string }>(
      await em.query(
        `INSERT INTO dead_letters (id, consumer, source_topic, source_partition, source_offset, record_key, value,
                                   headers, code, reason, event_id, invite_id, webhook_delivery_id, failed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT DO NOTHING RETURNING id`,
        [
          row.id,
          row.consumer,
          row.source_topic,
          row.source_partition,
          row.source_offset,
          row.record_key,
          row.value,
          JSON.stringify(row.headers),
          row.code,
          row.reason,
          row.event_id,
          row.invite_id,
          row.webhook_delivery_id,
          row.failed_at,
        ],
      ),
    );
    return r.length > 0;
  }

  /** Newest first, `limit` at most, before `cursor` (a failed_at, id pair) for the next page. */
  list(
    f: DeadLetterFilter & { limit: number; before?: { failedAt: Date; id: string } },
    em: EntityManager = this.ds.manager,
  ): Promise<Row[]> {
    return em.query(
      `SELECT * FROM dead_letters WHERE ${WHERE}
         AND ($6::timestamptz IS NULL OR (failed_at, id) < ($6::timestamptz, $7::uuid))
       ORDER BY failed_at DESC, id DESC LIMIT $8`,
      [...params(f), f.before?.failedAt ?? null, f.before?.id ?? null, f.limit],
    );
  }

  /** Counts per topic and code of the dead letters not redriven yet. */
  summary(em: EntityManager = this.ds.manager): Promise<{ source_topic: string; code: string; n: number }[]> {
    return em.query(
      `SELECT source_topic, code, count(*)::int AS n FROM dead_letters WHERE redriven_at IS NULL
       GROUP BY source_topic, code ORDER BY source_topic, code`,
    );
  }

  /**
   * Marks the matching dead letters redriven and returns them, locked, so two operators redriving the same filter
   * at once redrive each letter once (the second finds them redriven). At most `limit` a call.
   */
  markRedriven(em: EntityManager, f: DeadLetterFilter, now: Date, limit: number): Promise<Row[]> {
    return em
      .query(
        `UPDATE dead_letters SET redriven_at = $6, redrive_count = redrive_count + 1
         WHERE id IN (SELECT id FROM dead_letters WHERE ${WHERE} ORDER BY failed_at LIMIT $7 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [...params({ ...f, state: 'pending' }), now, limit],
      )
      .then((r) => returnedRows<Row>(r));
  }
}
