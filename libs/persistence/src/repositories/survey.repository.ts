import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SurveyEntity } from '../entities/survey.entity';

/** The only SQL for `surveys`. */
@Injectable()
export class SurveyRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<SurveyEntity | null> {
    return em.getRepository(SurveyEntity).findOneBy({ id });
  }
}
