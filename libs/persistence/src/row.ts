/** `caseNumber` → `case_number`: how an entity's property is spelled as a column (checked for every entity). */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? H extends Lowercase<H>
    ? `${H}${SnakeCase<T>}`
    : `_${Lowercase<H>}${SnakeCase<T>}`
  : S;

/**
 * An entity as a raw SQL statement returns it (column names, snake_case). Set-based statements on the hot path
 * return rows, not entities; their row types are derived from the entity here, never written out again, so a
 * row type can't drift from its table either.
 */
export type RowOf<E> = { [K in keyof E & string as SnakeCase<K>]: E[K] };

export function snakeCase(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
