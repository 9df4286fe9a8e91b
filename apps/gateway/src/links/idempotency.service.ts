import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { UnitOfWork } from '@fg/messaging';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode } from '@fg/common';
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
 * concurrent duplicate waits on the first one's row and then replays it. Keys are kept IDEMPOTENCY_RETENTION_HOURS
 * (24 h by default, like Stripe's), then forgotten. Stored answers hold link references, never URLs.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Idempotency');
  private pruner?: NodeJS.Timeout;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: IdempotencyKeyRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  onModuleInit() {
    this.pruner = setInterval(() => {
      this.prune().catch((e: unknown) =>
        this.log.warn(`pruning idempotency keys failed: ${(e as Error).message}`),
      );
    }, 600_000);
    this.pruner.unref();
  }

  onModuleDestroy() {
    clearInterval(this.pruner);
  }

  /** Forgets keys past the retention window; returns how many. */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.uow.run((em) =>
        this.keys.prune(em, this.clock.now(), this.cfg.IDEMPOTENCY_RETENTION_HOURS),
      );
      total += n;
      if (n < 10_000) return total;
    }
  }

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
