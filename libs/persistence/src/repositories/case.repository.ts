import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CaseEntity } from '../entities/case.entity';

/** The only SQL for `cases`. */
@Injectable()
export class CaseRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<CaseEntity | null> {
    return em.getRepository(CaseEntity).findOneBy({ id });
  }
}
