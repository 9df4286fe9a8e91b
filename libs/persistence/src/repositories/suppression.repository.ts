import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Channel } from '@fg/contracts';
import { SuppressionEntity } from '../entities/suppression.entity';
import { returnedRows } from '../transaction';

export type SuppressionRow = Pick<SuppressionEntity, 'channel' | 'address' | 'reason' | 'source'>;

/** The only SQL for `suppressions` (addresses come normalised: see `normalizeAddress`). */
@Injectable()
export class SuppressionRepository {
  constructor(private readonly ds: DataSource) {}

  /** Puts addresses on the list (again: a lifted one is suppressed anew with the latest reason). */
  async upsert(em: EntityManager, entries: SuppressionRow[], at: Date): Promise<void> {
    if (!entries.length) return;
    await em.query(
      `INSERT INTO suppressions (channel, address, reason, source, suppressed_at)
       SELECT DISTINCT ON (x.channel, x.address) x.channel, x.address, x.reason, x.source, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(channel text, address text, reason text, source text)
       ON CONFLICT (channel, address) DO UPDATE SET reason = excluded.reason, source = excluded.source,
         suppressed_at = excluded.suppressed_at, lifted_at = NULL, lifted_by = NULL`,
      [JSON.stringify(entries), at],
    );
  }

  /** Lifts an active suppression; false when there was none. */
  async lift(em: EntityManager, channel: Channel, address: string, by: string, at: Date): Promise<boolean> {
    const rows = returnedRows<{ address: string }>(
      await em.query(
        `UPDATE suppressions SET lifted_at = $3, lifted_by = $4
         WHERE channel = $1 AND address = $2 AND lifted_at IS NULL RETURNING address`,
        [channel, address, at, by],
      ),
    );
    return rows.length > 0;
  }

  /** The active suppressions among these addresses. */
  active(em: EntityManager, channel: Channel, addresses: string[]): Promise<SuppressionRow[]> {
    return em.query(
      `SELECT channel, address, reason, source FROM suppressions
       WHERE channel = $1 AND address = ANY($2::text[]) AND lifted_at IS NULL`,
      [channel, addresses],
    );
  }

  /** For the ops list, newest first. */
  list(q: { channel?: Channel; address?: string; activeOnly: boolean; limit: number }) {
    const params: unknown[] = [];
    const where = [q.activeOnly ? 'lifted_at IS NULL' : 'TRUE'];
    if (q.channel) where.push(`channel = $${params.push(q.channel)}`);
    if (q.address) where.push(`address = $${params.push(q.address)}`);
    return this.ds.query(
      `SELECT channel, address, reason, source, suppressed_at AS "suppressedAt", lifted_at AS "liftedAt", lifted_by AS "liftedBy"
       FROM suppressions WHERE ${where.join(' AND ')} ORDER BY suppressed_at DESC LIMIT $${params.push(q.limit)}`,
      params,
    );
  }
}
