import { PipeTransform } from '@nestjs/common';
import { ZodTypeAny, z } from 'zod';
import { DomainError, ErrorCode } from '@fg/common';
import { LIMITS, depthExceeds } from '@fg/contracts';

/** Validates a body or query against a zod schema; a 400 names each offending field. */
export class ZodPipe<S extends ZodTypeAny> implements PipeTransform<unknown, z.infer<S>> {
  constructor(readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const deep = depthExceeds(value, LIMITS.jsonDepth);
    if (deep) {
      const message = `nested deeper than ${LIMITS.jsonDepth} levels`;
      throw new DomainError(ErrorCode.VALIDATION, `${deep}: ${message}`, {
        fields: [{ field: deep, message }],
      });
    }
    const r = this.schema.safeParse(value);
    if (r.success) return r.data as z.infer<S>;
    const fields = r.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    throw new DomainError(ErrorCode.VALIDATION, fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
      fields,
    });
  }
}
