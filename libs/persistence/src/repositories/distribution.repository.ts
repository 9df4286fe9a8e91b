import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { DistributionEntity } from '../entities/distribution.entity';

/** The only SQL for `distributions`. */
@Injectable()
export class DistributionRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<DistributionEntity | null> {
    return em.getRepository(DistributionEntity).findOneBy({ id });
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
}
