import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { IdempotencyKeyEntity } from '../entities/idempotency-key.entity';

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
}
