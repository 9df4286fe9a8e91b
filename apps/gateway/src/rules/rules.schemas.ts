import { z } from 'zod';
import { isoDateTime, named } from '@fg/platform';
import {
  condition,
  fieldCondition,
  ruleAction,
  ruleDefinition,
  ruleTrigger,
  surveyCondition,
} from '@fg/rules-core';
import { dryRunRequest, evaluationsQuery } from './rules-admin.service';

/** The REST schemas of rules: what the routes take and answer, generated into the OpenAPI document. */

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

// The condition tree is parsed by hand (the branch is chosen by its keys, so errors point at the exact node); the
// document describes the same tree declaratively.
named(
  'Condition',
  condition,
  z.union([
    named('FieldCondition', fieldCondition),
    named('SurveyCondition', surveyCondition),
    z.object({ all: z.array(condition) }).strict(),
    z.object({ any: z.array(condition).min(1) }).strict(),
    z.object({ not: condition }).strict(),
  ]),
);
named('RuleAction', ruleAction);
export const ruleInput = named('RuleInput', ruleDefinition);
export const dryRunInput = named('RuleDryRunInput', dryRunRequest);
export { evaluationsQuery };

const ruleFields = {
  name: z.string(),
  description: z.string(),
  trigger: ruleTrigger,
  enabled: z.boolean(),
  priority: z.number().int(),
  conditions: condition,
  actions: z.array(ruleAction),
};

export const rule = named(
  'Rule',
  z
    .object({
      id: z.string().uuid(),
      version: z.number().int().describe('the current version; every change saves a new one'),
      ...ruleFields,
      createdAt: isoDateTime,
      updatedAt: isoDateTime,
    })
    .strict(),
);

export const ruleWithVersions = named(
  'RuleWithVersions',
  rule.extend({
    versions: z.array(
      z
        .object({ version: z.number().int(), createdBy: z.string().nullable(), createdAt: isoDateTime })
        .strict(),
    ),
  }),
);

export const ruleVersion = named(
  'RuleVersion',
  z
    .object({
      id: z.string().uuid(),
      version: z.number().int(),
      ...ruleFields,
      description: z.string().optional(),
      createdBy: z.string().nullable(),
      createdAt: isoDateTime,
    })
    .strict(),
);

export const conditionTrace: z.ZodType = named(
  'ConditionTrace',
  z.lazy(() =>
    z
      .object({
        condition: z.string().describe('the condition, in words'),
        result: z.boolean(),
        saw: z
          .object({ value: scalar.optional(), previous: scalar.optional(), threshold: z.string().optional() })
          .strict()
          .optional(),
        children: z.array(conditionTrace).optional(),
      })
      .strict(),
  ),
);

export const dryRunResult = named(
  'RuleDryRun',
  z
    .object({
      rule: z
        .object({
          id: z.string().uuid(),
          version: z.number().int(),
          name: z.string(),
          trigger: ruleTrigger,
          enabled: z.boolean(),
        })
        .strict(),
      triggerMatches: z.boolean(),
      matched: z.boolean(),
      conditions: conditionTrace,
      actions: z.array(
        z
          .object({ index: z.number().int(), type: z.string(), outcome: z.literal('would run') })
          .passthrough(),
      ),
    })
    .strict(),
);

export const ruleEvaluation = named(
  'RuleEvaluation',
  z
    .object({
      id: z.string().uuid(),
      caseId: z.string(),
      ruleId: z.string().uuid(),
      ruleVersion: z.number().int(),
      trigger: z.string(),
      eventId: z.string(),
      correlationId: z.string().nullable(),
      matched: z.boolean(),
      conditions: conditionTrace,
      note: z.string().nullable(),
      evaluatedAt: isoDateTime,
      run: z
        .object({
          id: z.string().uuid(),
          status: z.string(),
          actions: z.array(z.object({ index: z.number().int(), type: z.string() }).passthrough()),
        })
        .strict()
        .nullable(),
    })
    .strict(),
);

export const ruleList = named('RuleList', z.array(rule));
export const ruleEvaluationList = named('RuleEvaluationList', z.array(ruleEvaluation));
