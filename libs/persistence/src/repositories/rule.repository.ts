import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { RuleEntity } from '../entities/rule.entity';

/** The only SQL for `rules`. */
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
}
