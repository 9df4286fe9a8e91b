import { DataSource, EntityManager } from 'typeorm';

/** Runs `fn` in a READ COMMITTED transaction, reusing `em` when the caller already has one. */
export async function inTransaction<T>(
  ds: DataSource,
  fn: (em: EntityManager) => Promise<T>,
  em?: EntityManager,
): Promise<T> {
  if (em?.queryRunner?.isTransactionActive) return fn(em);
  return ds.transaction(fn);
}
