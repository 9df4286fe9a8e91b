import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SurveyEntity } from '../entities/survey.entity';

/** The only SQL for `surveys`. */
@Injectable()
export class SurveyRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<SurveyEntity | null> {
    return em.getRepository(SurveyEntity).findOneBy({ id });
  }

  async insert(
    s: QueryDeepPartialEntity<SurveyEntity> & { id: string },
    em: EntityManager = this.ds.manager,
  ) {
    await em.getRepository(SurveyEntity).insert(s);
    return em.getRepository(SurveyEntity).findOneByOrFail({ id: s.id });
  }

  /** Replaces a survey's settings; null when there is no such survey. */
  async update(id: string, s: QueryDeepPartialEntity<SurveyEntity>, em: EntityManager = this.ds.manager) {
    const r = await em.getRepository(SurveyEntity).update(id, s);
    return r.affected ? em.getRepository(SurveyEntity).findOneByOrFail({ id }) : null;
  }

  /** Surveys, newest first (`ids` null: every one). */
  list(ids: string[] | null, em: EntityManager = this.ds.manager): Promise<SurveyEntity[]> {
    return em.getRepository(SurveyEntity).find({
      where: ids ? { id: In(ids) } : {},
      order: { createdAt: 'DESC', id: 'ASC' },
    });
  }

  exists(id: string, em: EntityManager = this.ds.manager): Promise<boolean> {
    return em.getRepository(SurveyEntity).existsBy({ id });
  }
}
