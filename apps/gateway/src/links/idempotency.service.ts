import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { UnitOfWork } from '@fg/messaging';
import { DomainError, ErrorCode } from '@fg/common';
import { IdempotencyKeyRepository } from '@fg/persistence';

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
  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: IdempotencyKeyRepository,
  ) {}

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
      if (!(await this.keys.claim(em, principal, key, hash))) {
        const prev = (await this.keys.find<T>(em, principal, key))!;
        if (prev.requestHash !== hash)
          throw new DomainError(
            ErrorCode.UNPROCESSABLE,
            'this Idempotency-Key was used with another request body; use a new key for a new request',
          );
        return { status: prev.status, body: prev.response, replayed: true };
      }
      const out = await work(em);
      await this.keys.complete(em, principal, key, out.status, out.body);
      return { ...out, replayed: false };
    });
  }
}
