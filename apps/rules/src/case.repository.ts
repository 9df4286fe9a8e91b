import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CaseEntity } from '@fg/persistence';

@Injectable()
export class CaseRepository {
  /** The case snapshot, locked for the rest of the transaction. */
  findForUpdate(em: EntityManager, id: string): Promise<CaseEntity | null> {
    return em.getRepository(CaseEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async save(em: EntityManager, c: Partial<CaseEntity> & { id: string }): Promise<void> {
    await em.getRepository(CaseEntity).save(c);
  }
}
