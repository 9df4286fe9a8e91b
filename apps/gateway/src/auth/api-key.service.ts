import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Clock, DomainError, ErrorCode, newId, sha256 } from '@fg/common';
import { ApiKeyEntity, ApiKeyRepository } from '@fg/persistence';
import { PERMISSIONS, Permission } from './permissions';

/** Who is calling: a verified, live API key. */
export interface Principal {
  keyId: string;
  name: string;
  permissions: Set<string>;
  /** Surveys this key may see and change; null = every survey. */
  surveyIds: string[] | null;
}

export interface NewKey {
  name: string;
  permissions: Permission[];
  surveyIds?: string[] | null;
  expiresAt?: Date | null;
  createdBy?: string | null;
}

/** What the API shows of a key: never its secret or hash. */
export function presentKey(k: ApiKeyEntity) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.keyPrefix,
    permissions: k.permissions,
    surveyIds: k.surveyIds,
    expiresAt: k.expiresAt,
    lastUsedAt: k.lastUsedAt,
    createdBy: k.createdBy,
    createdAt: k.createdAt,
    rotatedAt: k.rotatedAt,
    revokedAt: k.revokedAt,
    status: k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt <= new Date() ? 'expired' : 'active',
  };
}

const KEY_FORMAT = /^fgk_[A-Za-z0-9_-]{32}$/;
const newSecret = () => `fgk_${randomBytes(24).toString('base64url')}`;
const prefixOf = (secret: string) => secret.slice(0, 8);

/** API keys: 32 random bytes of secret shown once (at creation and rotation), stored as SHA-256 only. */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly clock: Clock,
  ) {}

  async create(
    name: string,
    permissions: Permission[],
    surveyIds: string[] | null = null,
    o: { expiresAt?: Date | null; createdBy?: string | null } = {},
  ): Promise<{ id: string; key: string; row: ApiKeyEntity }> {
    const unknown = permissions.filter((p) => !(PERMISSIONS as readonly string[]).includes(p));
    if (unknown.length)
      throw new DomainError(ErrorCode.VALIDATION, `permissions: unknown ${unknown.join(', ')}`, {
        fields: [{ field: 'permissions', message: `unknown: ${unknown.join(', ')}` }],
      });
    const key = newSecret();
    const row = await this.keys.insert({
      id: newId(),
      name,
      keyHash: sha256(key),
      keyPrefix: prefixOf(key),
      permissions: [...new Set(permissions)],
      surveyIds: surveyIds ? [...new Set(surveyIds)] : null,
      expiresAt: o.expiresAt ?? null,
      createdBy: o.createdBy ?? null,
    });
    return { id: row.id, key, row };
  }

  /** Makes the key with this exact secret exist (embedded mode's demo key, printed at every start). */
  async ensure(id: string, name: string, key: string, permissions: readonly Permission[]): Promise<void> {
    await this.keys.ensure({
      id,
      name,
      keyHash: sha256(key),
      keyPrefix: prefixOf(key),
      permissions: [...permissions],
      surveyIds: null,
      expiresAt: null,
      createdBy: 'embedded mode',
    });
  }

  /** The principal of a live key; a clear reason when the key is unknown, revoked or expired. */
  async verify(key: string): Promise<Principal> {
    const row = KEY_FORMAT.test(key) ? await this.keys.findByHash(sha256(key)) : null;
    if (!row || row.revokedAt) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'the API key is not valid');
    const now = this.clock.now();
    if (row.expiresAt && row.expiresAt <= now)
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        `the API key expired at ${row.expiresAt.toISOString()}`,
      );
    await this.keys.touch(row.id, now);
    return {
      keyId: row.id,
      name: row.name,
      permissions: new Set(row.permissions),
      surveyIds: row.surveyIds,
    };
  }

  list(includeRevoked = false) {
    return this.keys.list(includeRevoked);
  }

  async revoke(id: string): Promise<ApiKeyEntity> {
    const row = await this.keys.revoke(id, this.clock.now());
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `API key ${id} does not exist`);
    return row;
  }

  /** A new secret for the key (same id, name, permissions and scope); the old secret stops working at once. */
  async rotate(id: string): Promise<{ key: string; row: ApiKeyEntity }> {
    const key = newSecret();
    const row = await this.keys.rotate(id, sha256(key), prefixOf(key), this.clock.now());
    if (!row) {
      const existing = await this.keys.findById(id);
      throw existing
        ? new DomainError(ErrorCode.CONFLICT, `API key ${id} is revoked; create a new one`)
        : new DomainError(ErrorCode.NOT_FOUND, `API key ${id} does not exist`);
    }
    return { key, row };
  }

  findById(id: string) {
    return this.keys.findById(id);
  }
}
