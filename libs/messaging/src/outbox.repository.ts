import { EntityManager } from 'typeorm';
import type { OutboxEntity } from '@fg/persistence';

export type NewOutboxRow = Pick<OutboxEntity, 'origin' | 'topic' | 'key' | 'headers' | 'value'>;
export type PendingOutboxRow = Pick<OutboxEntity, 'id' | 'topic' | 'key' | 'headers' | 'value'>;

/**
 * The only SQL for `outbox` and `outbox_relay_lease` (the transport's tables, not a domain's): rows written in
 * the business transaction, read and deleted by the app's relay, which holds the lease.
 */
export class OutboxRepository {
  /** Inserts the rows in one statement; returns them with their ids, in the order given. */
  async insertMany(em: EntityManager, rows: NewOutboxRow[]): Promise<PendingOutboxRow[]> {
    if (!rows.length) return [];
    const params: unknown[] = [];
    const values = rows.map((r, i) => {
      params.push(r.origin, r.topic, r.key, JSON.stringify(r.headers), r.value);
      const b = i * 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}::jsonb, $${b + 5})`;
    });
    const ids: { id: string }[] = await em.query(
      `INSERT INTO outbox (origin, topic, key, headers, value) VALUES ${values.join(', ')} RETURNING id`,
      params,
    );
    return rows.map((r, i) => ({
      id: String(ids[i].id),
      topic: r.topic,
      key: r.key,
      headers: r.headers,
      value: r.value,
    }));
  }

  /** The oldest rows of an app, in the order they were written, but for `except` (published, not yet deleted). */
  pending(
    em: EntityManager,
    origin: string,
    limit: number,
    except: string[] = [],
  ): Promise<PendingOutboxRow[]> {
    return em.query(
      `SELECT id::text AS id, topic, key, headers, value FROM outbox
       WHERE origin = $1 AND id <> ALL($2::bigint[]) ORDER BY id LIMIT ${limit}`,
      [origin, except],
    );
  }

  /** How long the oldest row of an app has waited to be published, in seconds (0 when there is none). */
  async oldestAgeSeconds(em: EntityManager, origin: string): Promise<number> {
    const [row] = await em.query<{ age: number | null }[]>(
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox WHERE origin = $1`,
      [origin],
    );
    return Math.max(0, row?.age ?? 0);
  }

  async delete(em: EntityManager, ids: string[]): Promise<void> {
    await em.query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Takes or renews the app's relay lease for `seconds`; false while another holder's lease runs. */
  async holdLease(em: EntityManager, origin: string, holder: string, seconds: number): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `INSERT INTO outbox_relay_lease (origin, holder, lease_until)
       VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (origin) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
       WHERE outbox_relay_lease.holder = excluded.holder OR outbox_relay_lease.lease_until < now()
       RETURNING holder`,
      [origin, holder, seconds],
    );
    return rows.length > 0;
  }

  async releaseLease(em: EntityManager, origin: string, holder: string): Promise<void> {
    await em.query(`DELETE FROM outbox_relay_lease WHERE origin = $1 AND holder = $2`, [origin, holder]);
  }
}
