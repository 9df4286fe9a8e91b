/**
 * Limits on what we accept, in one place (the README's security section lists them). Past any of them a request is
 * refused with a 400 naming the field, or a message goes to the dead-letter topic with the reason.
 */
export const LIMITS = {
  /** Any JSON body or message: deeper nesting is refused before it is parsed further (no stack overflows). */
  jsonDepth: 32,
  /** A rule's condition tree: how deep all/any/not may nest, and how many conditions it may hold in all. */
  conditionDepth: 8,
  conditions: 200,
  /** Values of one `in` / `not_in` condition. */
  conditionValues: 100,
  /** A segment filter: the same caps as rule conditions. */
  segmentDepth: 8,
  segmentConditions: 200,
  /** A value shown in an evaluation trace is cut to this many characters. */
  traceValueChars: 200,
  /** A free-text answer. */
  freeTextChars: 5000,
} as const;

/** The depth of a JSON value (a scalar is 0), stopping as soon as `max` is exceeded; iterative, no recursion. */
export function depthExceeds(value: unknown, max: number): string | null {
  const stack: { v: unknown; d: number; path: string }[] = [{ v: value, d: 0, path: '' }];
  while (stack.length) {
    const { v, d, path } = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d >= max) return path || '(body)';
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    for (const [k, x] of entries) stack.push({ v: x, d: d + 1, path: path ? `${path}.${k}` : k });
  }
  return null;
}

/** Own properties only: a key like `__proto__` or `constructor` never reaches Object.prototype. */
export const own = <T>(o: Record<string, T> | null | undefined, k: string): T | undefined =>
  o && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
