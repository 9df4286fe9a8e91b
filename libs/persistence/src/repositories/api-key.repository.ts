import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { returnedRows } from '../transaction';

export type NewApiKey = Pick<
  ApiKeyEntity,
  'id' | 'name' | 'keyHash' | 'keyPrefix' | 'permissions' | 'surveyIds' | 'expiresAt' | 'createdBy'
>;

/** The only SQL for `api_keys`. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(k: NewApiKey): Promise<ApiKeyEntity> {
    await this.ds.getRepository(ApiKeyEntity).insert(k);
    return this.ds.getRepository(ApiKeyEntity).findOneByOrFail({ id: k.id });
  }

  /** Inserts a key with a fixed id and secret unless it exists (the embedded mode's demo key). */
  async ensure(k: NewApiKey): Promise<void> {
    await this.ds.createQueryBuilder().insert().into(ApiKeyEntity).values(k).orIgnore().execute();
  }

  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.ds.getRepository(ApiKeyEntity).findOneBy({ keyHash });
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.ds.getRepository(ApiKeyEntity).findOneBy({ id });
  }

  list(includeRevoked: boolean): Promise<ApiKeyEntity[]> {
    return this.ds
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where(includeRevoked ? 'TRUE' : 'k.revoked_at IS NULL')
      .orderBy('k.created_at', 'ASC')
      .getMany();
  }

  /** Records a use at most once a minute per key (a write per request would cost more than it tells). */
  async touch(id: string, at: Date): Promise<void> {
    await this.ds.query(
      `UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`,
      [id, at],
    );
  }

  /** Revokes a key for good; returns it, or null when there is no such key. Revoking twice keeps the first time. */
  async revoke(id: string, at: Date): Promise<ApiKeyEntity | null> {
    const rows = returnedRows<{ id: string }>(
      await this.ds.query(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id`,
        [id, at],
      ),
    );
    return rows.length ? this.findById(id) : null;
  }

  /** Replaces the secret of a live key (the old one stops working at once); null when it is unknown or revoked. */
  async rotate(id: string, keyHash: string, keyPrefix: string, at: Date): Promise<ApiKeyEntity | null> {
    const rows = returnedRows<{ id: string }>(
      await this.ds.query(
        `UPDATE api_keys SET key_hash = $2, key_prefix = $3, rotated_at = $4 WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
        [id, keyHash, keyPrefix, at],
      ),
    );
    return rows.length ? this.findById(id) : null;
  }
}
