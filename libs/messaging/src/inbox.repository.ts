import { EntityManager } from 'typeorm';
import { returnedRows } from '@fg/persistence';

/** The only SQL for `inbox`: which consumer has handled which message (the transport's table, not a domain's). */
export class InboxRepository {
  /** Records the message ids as handled by this consumer; returns those it had not handled before. */
  async claim(em: EntityManager, consumer: string, messageIds: string[]): Promise<Set<string>> {
    const rows: { message_id: string }[] = await em.query(
      `INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[])
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [consumer, messageIds],
    );
    return new Set(rows.map((r) => r.message_id));
  }

  /** Deletes up to `chunk` records of these consumers older than `retentionHours`; returns how many. */
  async prune(
    em: EntityManager,
    consumers: string[],
    retentionHours: number,
    chunk: number,
  ): Promise<number> {
    const rows = returnedRows(
      await em.query(
        `DELETE FROM inbox WHERE ctid IN (
           SELECT ctid FROM inbox
           WHERE consumer = ANY($1::text[]) AND processed_at < now() - make_interval(hours => $2)
           LIMIT ${chunk})
         RETURNING 1`,
        [consumers, retentionHours],
      ),
    );
    return rows.length;
  }
}
