import { z } from 'zod';
import { channel, languageTag } from '@fg/contracts';
import { FUNNEL_STAGES } from '@fg/persistence';
import { isoDateTime, named } from '@fg/platform';

/** A day (`2026-12-01`, midnight UTC) or an instant with its offset. */
export const instant = z
  .union([z.string().date(), z.string().datetime({ offset: true })])
  .describe('a day (YYYY-MM-DD, UTC) or an ISO date-time');
export const toDate = (s: string) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);

/** `key:value`, repeatable: responses carrying every such distribution tag. */
const tagFilter = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((t, ctx) => {
    const out: Record<string, string> = {};
    for (const pair of t === undefined ? [] : Array.isArray(t) ? t : [t]) {
      const at = pair.indexOf(':');
      if (at < 1) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `tag "${pair}" is not key:value` });
        return z.NEVER;
      }
      out[pair.slice(0, at)] = pair.slice(at + 1);
    }
    return out;
  })
  .describe('key:value, repeatable');

export const funnelQuery = z
  .object({
    from: instant.optional().describe('start of the period (default: 30 days before `to`)'),
    to: instant.optional().describe('end of the period, exclusive (default: now)'),
    groupBy: z.enum(['none', 'channel', 'language', 'rule', 'day']).default('none'),
    channel: channel.optional(),
    language: languageTag.optional(),
    ruleId: z.string().uuid().optional(),
  })
  .strict();

export const resultsQuery = z
  .object({
    distributionId: z.string().uuid().optional().describe('only this distribution of the survey'),
    from: instant.optional(),
    to: instant.optional(),
    channel: channel.optional(),
    language: languageTag.optional(),
    tag: tagFilter,
    texts: z.coerce
      .number()
      .int()
      .min(0)
      .max(200)
      .default(20)
      .describe('latest free-text answers per question'),
  })
  .strict();

const counts = z.object(Object.fromEntries(FUNNEL_STAGES.map((s) => [s, z.number().int()]))).strict();
const conversion = z
  .object(Object.fromEntries(FUNNEL_STAGES.map((s) => [s, z.number().nullable()])))
  .strict()
  .describe("each stage's share of the stage before it (null when that one is 0)");

export const funnel = named(
  'Funnel',
  z
    .object({
      distributionId: z.string().uuid(),
      from: isoDateTime,
      to: isoDateTime,
      groupBy: z.enum(['none', 'channel', 'language', 'rule', 'day']),
      stages: z.array(z.enum(FUNNEL_STAGES)),
      total: z.object({ counts, conversion }).strict(),
      groups: z.array(
        z
          .object({
            key: z.string().describe('channel, language, rule id (or api/bulk), day, or "all"'),
            label: z.string(),
            counts,
            conversion,
          })
          .strict(),
      ),
      failures: z
        .array(
          z
            .object({
              status: z.string(),
              reasonCode: z.string().nullable(),
              channel,
              count: z.number().int(),
            })
            .strict(),
        )
        .describe(
          'invites that did not go out, by outcome and reason code (search invites with the same filters)',
        ),
    })
    .strict(),
);

const distributionBucket = z
  .object({ value: z.string(), label: z.string(), count: z.number().int() })
  .strict();
export const surveyResults = named(
  'SurveyResults',
  z
    .object({
      surveyId: z.string().uuid(),
      distributionIds: z.array(z.string().uuid()),
      responses: z.number().int().describe('completed responses matching the filters'),
      questions: z.array(
        z
          .object({
            id: z.string(),
            type: z.enum(['nps', 'rating', 'single_choice', 'free_text']),
            label: z.string(),
            answered: z.number().int().nullable(),
            average: z.number().nullable().optional(),
            distribution: z.array(distributionBucket).optional(),
            nps: z
              .object({
                promoters: z.number().int(),
                passives: z.number().int(),
                detractors: z.number().int(),
                score: z.number().nullable().describe('−100 … 100'),
              })
              .strict()
              .optional(),
            texts: z
              .array(
                z
                  .object({ text: z.string(), responseId: z.string().uuid(), submittedAt: isoDateTime })
                  .strict(),
              )
              .optional(),
          })
          .strict(),
      ),
    })
    .strict(),
);
