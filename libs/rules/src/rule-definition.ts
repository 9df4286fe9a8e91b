import { z } from 'zod';
import { channel } from '@fg/contracts';

/** A field reference: a standard case field (`status`) or a custom one (`custom.survey_link`). */
const fieldRef = z
  .string()
  .regex(/^(custom\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a case field (e.g. "status") or "custom.<name>"');

const scalarValue = z.union([z.string(), z.number(), z.boolean()]);

export const fieldCondition = z.discriminatedUnion('op', [
  z.object({
    field: fieldRef,
    op: z.enum(['equals', 'not_equals', 'changed_to', 'changed_from']),
    value: scalarValue,
  }),
  z.object({ field: fieldRef, op: z.enum(['in', 'not_in']), value: z.array(scalarValue).min(1) }),
  z.object({ field: fieldRef, op: z.literal('contains'), value: z.string().min(1) }),
  z.object({ field: fieldRef, op: z.enum(['exists', 'changed']) }),
  z.object({ field: fieldRef, op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number() }),
  z.object({
    field: fieldRef,
    op: z.enum(['before', 'after']),
    value: z.string().datetime({ offset: true }),
  }),
]);
export type FieldCondition = z.infer<typeof fieldCondition>;

export type Condition = FieldCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(condition) }).strict(),
    z.object({ any: z.array(condition).min(1) }).strict(),
    z.object({ not: condition }).strict(),
    fieldCondition,
  ]),
);

const surveyAction = {
  distributionId: z.string().uuid(),
  channel,
  /** The case custom field that receives the survey link. */
  linkField: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)
    .optional(),
  language: z.string().min(2).max(16).optional(),
};

export const ruleAction = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('issue_link'),
      distributionId: z.string().uuid(),
      linkField: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
    })
    .strict(),
  z.object({ type: z.literal('send_invitation'), ...surveyAction }).strict(),
  z.object({ type: z.literal('send_reminder'), ...surveyAction }).strict(),
  z.object({ type: z.literal('send_thank_you'), ...surveyAction }).strict(),
]);
export type RuleAction = z.infer<typeof ruleAction>;

export const ruleDefinition = z
  .object({
    name: z.string().min(1).max(200),
    trigger: z.enum(['case.created', 'case.updated']),
    enabled: z.boolean().default(true),
    priority: z.number().int().default(100),
    conditions: condition,
    actions: z.array(ruleAction).min(1).max(20),
  })
  .strict();
export type RuleDefinition = z.infer<typeof ruleDefinition>;
