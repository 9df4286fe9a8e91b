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

/**
 * Rows of an `UPDATE … RETURNING` / `DELETE … RETURNING` run through `EntityManager.query`: TypeORM's
 * Postgres driver answers those with `[rows, rowCount]`, unlike SELECT and INSERT.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}
