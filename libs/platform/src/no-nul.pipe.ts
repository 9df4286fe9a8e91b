import { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { DomainError, ErrorCode } from '@fg/common';

/**
 * Refuses NUL characters anywhere in a route's parameters, query or body (PostgreSQL can't store them in text, so
 * they would otherwise fail deep inside a transaction): a 400 naming the field. Iterative, any depth.
 */
export class NoNulPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if (meta.type === 'custom') return value;
    const stack: { v: unknown; path: string }[] = [{ v: value, path: meta.data ?? '' }];
    while (stack.length) {
      const { v, path } = stack.pop()!;
      if (typeof v === 'string') {
        if (v.includes('\u0000')) {
          const field = path || '(body)';
          throw new DomainError(ErrorCode.VALIDATION, `${field}: contains a NUL character`, {
            fields: [{ field, message: 'contains a NUL character' }],
          });
        }
      } else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
        for (const [k, x] of Object.entries(v)) {
          if (k.includes('\u0000'))
            throw new DomainError(
              ErrorCode.VALIDATION,
              `${path || '(body)'}: a key contains a NUL character`,
              {
                fields: [{ field: path || '(body)', message: 'a key contains a NUL character' }],
              },
            );
          stack.push({ v: x, path: path ? `${path}.${k}` : k });
        }
      }
    }
    return value;
  }
}
