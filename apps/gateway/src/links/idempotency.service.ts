import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { UnitOfWork } from '@fg/messaging';
import { DomainError, ErrorCode } from '@fg/common';

/** A stable hash of a JSON body: key order doesn't matter, values do. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * `Idempotency-Key`: the first request with a key does the work and stores its answer in the same transaction;
 * a retry with the same key and body gets that answer again; the same key with another body is a 422. A
 * concurrent duplicate waits on the first one's row and then replays it.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly uow: UnitOfWork) {}

  async run<T>(
    principal: string,
    key: string | undefined,
    body: unknown,
    work: (em: EntityManager) => Promise<{ status: number; body: T }>,
  ): Promise<{ status: number; body: T; replayed: boolean }> {
    if (key === undefined) return { ...(await this.uow.run(work)), replayed: false };
    if (!/^[\x21-\x7e]{1,255}$/.test(key))
      throw new DomainError(ErrorCode.VALIDATION, 'Idempotency-Key: 1–255 visible ASCII characters', {
        fields: [{ field: 'Idempotency-Key', message: '1–255 visible ASCII characters' }],
      });
    const hash = createHash('sha256').update(canonical(body)).digest('hex');
    return this.uow.run(async (em) => {
      const mine: unknown[] = await em.query(
        `INSERT INTO idempotency_keys (principal, key, request_hash, status, response) VALUES ($1, $2, $3, 0, 'null')
         ON CONFLICT DO NOTHING RETURNING key`,
        [principal, key, hash],
      );
      if (!mine.length) {
        const [prev]: { request_hash: string; status: number; response: T }[] = await em.query(
          `SELECT request_hash, status, response FROM idempotency_keys WHERE principal = $1 AND key = $2`,
          [principal, key],
        );
        if (prev.request_hash !== hash)
          throw new DomainError(
            ErrorCode.UNPROCESSABLE,
            'this Idempotency-Key was used with another request body; use a new key for a new request',
          );
        return { status: prev.status, body: prev.response, replayed: true };
      }
      const out = await work(em);
      await em.query(
        `UPDATE idempotency_keys SET status = $3, response = $4::jsonb WHERE principal = $1 AND key = $2`,
        [principal, key, out.status, JSON.stringify(out.body)],
      );
      return { ...out, replayed: false };
    });
  }
}
