import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { IdempotencyKeyEntity } from '../entities/idempotency-key.entity';
import { returnedRows } from '../transaction';

/** The only SQL for `idempotency_keys`. */
@Injectable()
export class IdempotencyKeyRepository {
  /**
   * Takes the key for this request (true), or waits for the transaction that holds it and returns false: the
   * caller then reads the stored answer.
   */
  async claim(em: EntityManager, principal: string, key: string, requestHash: string): Promise<boolean> {
    const mine: unknown[] = await em.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, status, response) VALUES ($1, $2, $3, 0, 'null')
       ON CONFLICT DO NOTHING RETURNING key`,
      [principal, key, requestHash],
    );
    return mine.length > 0;
  }

  find<T>(
    em: EntityManager,
    principal: string,
    key: string,
  ): Promise<(Pick<IdempotencyKeyEntity, 'requestHash' | 'status'> & { response: T }) | null> {
    return em
      .getRepository(IdempotencyKeyEntity)
      .findOne({ where: { principal, key }, select: ['requestHash', 'status', 'response'] }) as Promise<
      (Pick<IdempotencyKeyEntity, 'requestHash' | 'status'> & { response: T }) | null
    >;
  }

  async complete(em: EntityManager, principal: string, key: string, status: number, response: unknown) {
    await em.query(
      `UPDATE idempotency_keys SET status = $3, response = $4::jsonb WHERE principal = $1 AND key = $2`,
      [principal, key, status, JSON.stringify(response)],
    );
  }

  /** Forgets keys older than `retentionHours` at `now`, up to `chunk` at a time; returns how many. */
  async prune(em: EntityManager, now: Date, retentionHours: number, chunk = 10_000): Promise<number> {
    const rows = returnedRows(
      await em.query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys WHERE created_at < $1::timestamptz - make_interval(hours => $2)
           LIMIT $3)
         RETURNING 1`,
        [now, retentionHours, chunk],
      ),
    );
    return rows.length;
  }
}
