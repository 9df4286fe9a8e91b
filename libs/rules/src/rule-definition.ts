import { z } from 'zod';
import { LIMITS, channel, inviteStatus, responseStatus } from '@fg/contracts';

const FIELD_REF = /^(custom\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** A field reference: a standard case field (`status`) or a custom one (`custom.survey_link`). */
const fieldRef = z.string().regex(FIELD_REF, 'a case field (e.g. "status") or "custom.<name>"');
const customFieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a case custom field name (letters, digits, _)');
const uuid = z.string().uuid('must be a UUID');
const scalarValue = z.union([z.string().max(1000), z.number(), z.boolean()]);
const valueList = z.array(scalarValue).min(1).max(LIMITS.conditionValues);

export const fieldCondition = z.discriminatedUnion('op', [
  z
    .object({
      field: fieldRef,
      op: z.enum(['equals', 'not_equals', 'changed_to', 'changed_from']),
      value: scalarValue,
    })
    .strict(),
  z.object({ field: fieldRef, op: z.enum(['in', 'not_in']), value: valueList }).strict(),
  z.object({ field: fieldRef, op: z.literal('contains'), value: z.string().min(1).max(1000) }).strict(),
  z.object({ field: fieldRef, op: z.enum(['exists', 'changed']) }).strict(),
  z.object({ field: fieldRef, op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number() }).strict(),
  z
    .object({
      field: fieldRef,
      op: z.enum(['before', 'after']),
      value: z.string().datetime({ offset: true }),
    })
    .strict(),
]);
export type FieldCondition = z.infer<typeof fieldCondition>;

/** "No Invite": nothing was sent for this distribution (and channel) on this case yet. */
export const NO_INVITE = 'No Invite' as const;
export const inviteStatusValue = z.enum([...inviteStatus.options, NO_INVITE]);
export const durationUnit = z.enum(['seconds', 'minutes', 'hours', 'days', 'weeks', 'years']);
export type DurationUnit = z.infer<typeof durationUnit>;

const UNIT_MS: Record<DurationUnit, number> = {
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 7 * 86_400_000,
  years: 365 * 86_400_000,
};
export const durationMs = (amount: number, unit: DurationUnit) => amount * UNIT_MS[unit];

/** Conditions on the case's survey: for a chosen survey (optional, checked on save), distribution and channel. */
export const surveyCondition = z.discriminatedUnion('survey', [
  z
    .object({
      survey: z.literal('invite_status'),
      surveyId: uuid.optional(),
      distributionId: uuid,
      channel: channel.optional(),
      op: z.enum(['in', 'not_in']),
      value: z.array(inviteStatusValue).min(1),
    })
    .strict(),
  z
    .object({
      survey: z.literal('response_status'),
      surveyId: uuid.optional(),
      distributionId: uuid,
      op: z.enum(['in', 'not_in']),
      value: z.array(responseStatus).min(1),
    })
    .strict(),
  z
    .object({
      survey: z.literal('last_sent_before'),
      surveyId: uuid.optional(),
      distributionId: uuid,
      channel: channel.optional(),
      amount: z.number().int().positive().max(1_000_000),
      unit: durationUnit,
    })
    .strict(),
]);
export type SurveyCondition = z.infer<typeof surveyCondition>;

export type Condition =
  FieldCondition | SurveyCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

const SHAPES =
  'a condition is {"all": [...]}, {"any": [...]}, {"not": {...}}, {"field", "op", "value"} or {"survey", ...}';

/**
 * A condition tree. The branch is chosen by the object's keys, so a validation error points at the exact
 * part of the tree that is wrong (e.g. `conditions.all.1.value`) instead of "no union member matched".
 */
export const condition: z.ZodType<Condition, z.ZodTypeDef, unknown> = z.lazy(() =>
  z.unknown().transform((v, ctx): Condition => {
    const branch = branchFor(v);
    if (!branch) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: SHAPES });
      return z.NEVER;
    }
    const r = branch.safeParse(v);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue(issue);
      return z.NEVER;
    }
    return r.data as Condition;
  }),
);

function branchFor(v: unknown): z.ZodTypeAny | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  if ('all' in v) return z.object({ all: z.array(condition) }).strict();
  if ('any' in v) return z.object({ any: z.array(condition).min(1) }).strict();
  if ('not' in v) return z.object({ not: condition }).strict();
  if ('survey' in v) return surveyCondition;
  if ('field' in v) return fieldCondition;
  return null;
}

const languageChoice = z.union([
  z.literal('last_message'),
  z
    .string()
    .regex(
      /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/,
      'a language code (e.g. "en", "fr-CA") or "last_message"',
    ),
]);

const surveyAction = {
  surveyId: uuid.optional(),
  distributionId: uuid,
  channel,
  /** The case custom field that receives the survey link. */
  linkField: customFieldName.optional(),
  /** A fixed language, or "last_message": the language of the last message sent on this case. */
  language: languageChoice.optional(),
  /** Send to this field instead of the contact's e-mail or phone: `custom.<case field>` or `profile.<attribute>`. */
  recipientField: z
    .string()
    .regex(
      /^(custom|profile)\.[A-Za-z_][A-Za-z0-9_]{0,63}$/,
      '"custom.<case field>" or "profile.<attribute>"',
    )
    .optional(),
  /** false: send from the account of the case's conversation instead of the distribution's. */
  useDistributionAccount: z.boolean().default(true),
};

export const ruleAction = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('issue_link'),
      surveyId: uuid.optional(),
      distributionId: uuid,
      linkField: customFieldName,
    })
    .strict(),
  z.object({ type: z.literal('send_invitation'), ...surveyAction }).strict(),
  z
    .object({
      type: z.literal('send_reminder'),
      ...surveyAction,
      /** Reminders a (distribution, case) may get in all. */
      maxReminders: z.number().int().min(1).max(10).default(1),
    })
    .strict(),
  z.object({ type: z.literal('send_thank_you'), ...surveyAction }).strict(),
  z
    .object({ type: z.literal('set_field'), field: fieldRef, value: z.union([scalarValue, z.null()]) })
    .strict(),
  z.object({ type: z.literal('move_to_queue'), queue: z.string().min(1).max(200) }).strict(),
]);
export type RuleAction = z.infer<typeof ruleAction>;
export type SurveyRuleAction = Extract<RuleAction, { distributionId: string }>;
export const isSurveyAction = (a: RuleAction): a is SurveyRuleAction => 'distributionId' in a;

export const ruleTrigger = z.enum([
  'case.created',
  'case.updated',
  'invite.status.changed',
  'response.status.changed',
]);
export type RuleTrigger = z.infer<typeof ruleTrigger>;

export const ruleDefinition = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    trigger: ruleTrigger,
    enabled: z.boolean().default(true),
    priority: z.number().int().default(100),
    conditions: condition,
    actions: z.array(ruleAction).min(1).max(20),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const p of treeProblems(r.conditions, LIMITS.conditionDepth, LIMITS.conditions))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['conditions', ...p.path], message: p.message });
  });

/**
 * Where a condition tree (or a segment filter: the same all/any/not shape) is too deep or too large. The caps keep
 * evaluation, storage and the trace written per case event bounded.
 */
export function treeProblems(
  tree: unknown,
  maxDepth: number,
  maxLeaves: number,
): { path: (string | number)[]; message: string }[] {
  let leaves = 0;
  const problems: { path: (string | number)[]; message: string }[] = [];
  const walk = (c: unknown, path: (string | number)[], depth: number) => {
    if (!c || typeof c !== 'object') return;
    const n = c as { all?: unknown[]; any?: unknown[]; not?: unknown };
    const kids: [unknown, (string | number)[]][] = Array.isArray(n.all)
      ? n.all.map((x, i) => [x, [...path, 'all', i]])
      : Array.isArray(n.any)
        ? n.any.map((x, i) => [x, [...path, 'any', i]])
        : n.not !== undefined
          ? [[n.not, [...path, 'not']]]
          : [];
    if (!kids.length && n.not === undefined && !Array.isArray(n.all) && !Array.isArray(n.any)) {
      leaves++;
      return;
    }
    if (depth >= maxDepth) {
      problems.push({ path, message: `groups nest at most ${maxDepth} levels deep` });
      return;
    }
    for (const [k, p] of kids) walk(k, p, depth + 1);
  };
  walk(tree, [], 0);
  if (leaves > maxLeaves)
    problems.push({ path: [], message: `at most ${maxLeaves} conditions (this has ${leaves})` });
  return problems;
}
export type RuleDefinition = z.infer<typeof ruleDefinition>;

/** The "last sent before" conditions of a tree: the moments a rule must be re-evaluated at. */
export function timeConditions(c: Condition): Extract<SurveyCondition, { survey: 'last_sent_before' }>[] {
  if ('all' in c) return c.all.flatMap(timeConditions);
  if ('any' in c) return c.any.flatMap(timeConditions);
  if ('not' in c) return timeConditions(c.not);
  if ('survey' in c && c.survey === 'last_sent_before') return [c];
  return [];
}

/** Every distribution a rule refers to, with where (for errors that point at the part). */
export function distributionRefs(def: Pick<RuleDefinition, 'conditions' | 'actions'>) {
  const refs: { path: string; distributionId: string; surveyId?: string }[] = [];
  const walk = (c: Condition, path: string) => {
    if ('all' in c) c.all.forEach((x, i) => walk(x, `${path}.all.${i}`));
    else if ('any' in c) c.any.forEach((x, i) => walk(x, `${path}.any.${i}`));
    else if ('not' in c) walk(c.not, `${path}.not`);
    else if ('survey' in c) refs.push({ path, distributionId: c.distributionId, surveyId: c.surveyId });
  };
  walk(def.conditions, 'conditions');
  def.actions.forEach((a, i) => {
    if (isSurveyAction(a))
      refs.push({ path: `actions.${i}`, distributionId: a.distributionId, surveyId: a.surveyId });
  });
  return refs;
}
