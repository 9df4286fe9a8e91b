import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { RuleEntity } from '../entities/rule.entity';
import { RuleVersionEntity } from '../entities/rule-version.entity';
import type { RowOf } from '../row';

type VersionRow = RowOf<RuleVersionEntity>;

/** The only SQL for `rules` and their saved versions (`rule_versions`). */
@Injectable()
export class RuleRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<RuleEntity | null> {
    return em.getRepository(RuleEntity).findOneBy({ id });
  }

  /** Locks the rule's row for the rest of the transaction. */
  findForUpdate(id: string, em: EntityManager): Promise<RuleEntity | null> {
    return em.getRepository(RuleEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  byIds(ids: string[], em: EntityManager = this.ds.manager): Promise<RuleEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return em.getRepository(RuleEntity).findBy({ id: In(ids) });
  }

  /** In evaluation order. */
  list(o: { enabledOnly: boolean }, em: EntityManager = this.ds.manager): Promise<RuleEntity[]> {
    return em.getRepository(RuleEntity).find({
      where: o.enabledOnly ? { enabled: true } : {},
      order: { priority: 'ASC', createdAt: 'ASC' },
    });
  }

  async insert(
    rule: QueryDeepPartialEntity<RuleEntity> & Pick<RuleEntity, 'id'>,
    em: EntityManager,
  ): Promise<void> {
    await em.getRepository(RuleEntity).insert(rule);
  }

  async update(id: string, patch: QueryDeepPartialEntity<RuleEntity>, em: EntityManager): Promise<void> {
    await em.getRepository(RuleEntity).update(id, patch);
  }

  /** Saves a version of a rule exactly as it was saved (every save is a new version). */
  async recordVersion(
    em: EntityManager,
    id: string,
    version: number,
    definition: unknown,
    by: string | null,
  ) {
    await em.query(
      `INSERT INTO rule_versions (rule_id, version, definition, created_by) VALUES ($1, $2, $3::jsonb, $4)`,
      [id, version, JSON.stringify(definition), by],
    );
  }

  /** A rule's versions, newest first. */
  versions(id: string): Promise<Pick<VersionRow, 'version' | 'created_by' | 'created_at'>[]> {
    return this.ds.query(
      `SELECT version, created_by, created_at FROM rule_versions WHERE rule_id = $1 ORDER BY version DESC`,
      [id],
    );
  }

  async version(
    id: string,
    version: number,
  ): Promise<Pick<VersionRow, 'definition' | 'created_by' | 'created_at'> | undefined> {
    const [row] = await this.ds.query<Pick<VersionRow, 'definition' | 'created_by' | 'created_at'>[]>(
      `SELECT definition, created_by, created_at FROM rule_versions WHERE rule_id = $1 AND version = $2`,
      [id, version],
    );
    return row;
  }
}
