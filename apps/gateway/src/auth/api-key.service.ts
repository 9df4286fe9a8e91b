import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { newId, sha256 } from '@fg/common';
import { ApiKeyEntity } from '@fg/persistence';
import { Permission } from './permissions';

export interface Principal {
  keyId: string;
  name: string;
  permissions: Set<string>;
  /** Surveys this key may edit; null = every survey. */
  surveyIds: string[] | null;
}

/** API keys are shown once at creation and stored as SHA-256 only. */
@Injectable()
export class ApiKeyService {
  constructor(private readonly ds: DataSource) {}

  async create(
    name: string,
    permissions: Permission[],
    surveyIds: string[] | null = null,
  ): Promise<{ id: string; key: string }> {
    const key = `fgk_${randomBytes(24).toString('base64url')}`;
    const id = newId();
    await this.ds
      .getRepository(ApiKeyEntity)
      .insert({ id, name, keyHash: sha256(key), permissions, surveyIds });
    return { id, key };
  }

  async verify(key: string): Promise<Principal | null> {
    if (!/^fgk_[A-Za-z0-9_-]{32}$/.test(key)) return null;
    const row = await this.ds
      .getRepository(ApiKeyEntity)
      .findOne({ where: { keyHash: sha256(key), revokedAt: IsNull() } });
    return row
      ? { keyId: row.id, name: row.name, permissions: new Set(row.permissions), surveyIds: row.surveyIds }
      : null;
  }
}
