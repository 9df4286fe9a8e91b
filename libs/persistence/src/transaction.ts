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
