import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DistributionEntity } from '../entities/distribution.entity';

/** The only SQL for `distributions`. */
@Injectable()
export class DistributionRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<DistributionEntity | null> {
    return em.getRepository(DistributionEntity).findOneBy({ id });
  }

  findMany(ids: string[], em: EntityManager = this.ds.manager): Promise<DistributionEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return em.getRepository(DistributionEntity).findBy({ id: In(ids) });
  }

  /** Locks the distribution's row for the rest of the transaction. */
  findForUpdate(id: string, em: EntityManager): Promise<DistributionEntity | null> {
    return em
      .getRepository(DistributionEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async insert(d: QueryDeepPartialEntity<DistributionEntity> & { id: string }, em: EntityManager) {
    await em.getRepository(DistributionEntity).insert(d);
    return em.getRepository(DistributionEntity).findOneByOrFail({ id: d.id });
  }

  async update(id: string, d: QueryDeepPartialEntity<DistributionEntity>, em: EntityManager) {
    await em.getRepository(DistributionEntity).update(id, d);
    return em.getRepository(DistributionEntity).findOneByOrFail({ id });
  }

  /** Saving an enabled rule that references draft distributions makes them active. */
  async activateDrafts(ids: string[], em: EntityManager): Promise<void> {
    if (!ids.length) return;
    await em.query(
      `UPDATE distributions SET status = 'active', updated_at = now() WHERE id = ANY($1::uuid[]) AND status = 'draft'`,
      [ids],
    );
  }

  /** The survey of each distribution that exists. */
  async surveysOf(ids: string[], em: EntityManager = this.ds.manager): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await em
      .getRepository(DistributionEntity)
      .find({ select: { id: true, surveyId: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((d) => [d.id, d.surveyId]));
  }

  /** Distributions of the given surveys (all with null), oldest first. */
  list(surveyIds: string[] | null, em: EntityManager = this.ds.manager): Promise<DistributionEntity[]> {
    return em.getRepository(DistributionEntity).find({
      where: surveyIds ? { surveyId: In(surveyIds) } : {},
      order: { createdAt: 'ASC' },
    });
  }

  /**
   * A copy of a distribution as a new draft: every column is copied (read from the entity, which a medium test
   * keeps equal to the table), except the id, the name, the status and the timestamps.
   */
  async clone(em: EntityManager, from: string, to: string, name: string): Promise<void> {
    const columns = em
      .getRepository(DistributionEntity)
      .metadata.columns.map((c) => c.databaseName)
      .filter((c) => !['id', 'name', 'status', 'created_at', 'updated_at'].includes(c));
    await em.query(
      `INSERT INTO distributions (id, name, status, ${columns.join(', ')})
       SELECT $2, $3, 'draft', ${columns.join(', ')} FROM distributions WHERE id = $1`,
      [from, to, name],
    );
  }

  /** Replaces the sender accounts and fallback channels. */
  async setChannels(em: EntityManager, id: string, accounts: unknown, fallback: unknown): Promise<void> {
    await em.query(
      `UPDATE distributions SET accounts = $2::jsonb, fallback = $3::jsonb, updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(accounts), JSON.stringify(fallback)],
    );
  }
}
