import { Body, Controller, Get, Param, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode, newId } from '@fg/common';
import { isTimeZone, languageTag } from '@fg/contracts';
import { distributionState } from '@fg/links';
import { DistributionEntity, DistributionRepository, SurveyRepository } from '@fg/persistence';
import { UnitOfWork } from '@fg/messaging';
import { ApiContract, ZodPipe, isoDateTime, named } from '@fg/platform';
import { ApiKeyGuard, AuthenticatedRequest, principalOf } from '../auth/api-key.guard';
import { RequireAccess, target } from '../auth/permissions';

const id = z.string().uuid('ids are UUIDs');
const uuid = new ZodPipe(id);
const label = z.record(languageTag, z.string().min(1).max(2000));

const questionBase = {
  id: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'question ids: lowercase letters, digits, _'),
  label,
  required: z.boolean().default(false),
};
export const question = named(
  'Question',
  z.discriminatedUnion('type', [
    z.object({ ...questionBase, type: z.literal('nps') }).strict(),
    z.object({ ...questionBase, type: z.literal('rating') }).strict(),
    z
      .object({
        ...questionBase,
        type: z.literal('single_choice'),
        options: z
          .array(z.object({ value: z.string().min(1).max(100), label }).strict())
          .min(2)
          .max(50),
      })
      .strict(),
    z.object({ ...questionBase, type: z.literal('free_text') }).strict(),
  ]),
);

const surveyStatus = z.enum(['active', 'closed']);
const surveyBody = named(
  'SurveyInput',
  z
    .object({
      name: z.string().min(1).max(200),
      languages: z.array(languageTag).min(1).max(50).default(['en']),
      questions: z.array(question).max(100).default([]),
      status: surveyStatus.default('active'),
    })
    .strict()
    .superRefine((s, ctx) => {
      const ids = s.questions.map((q) => q.id);
      ids.forEach((id, i) => {
        if (ids.indexOf(id) !== i)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['questions', i, 'id'],
            message: `duplicate question id "${id}"`,
          });
      });
    }),
);

const survey = named(
  'Survey',
  z
    .object({
      id,
      name: z.string(),
      languages: z.array(z.string()),
      questions: z.array(question),
      status: surveyStatus,
      createdAt: isoDateTime,
    })
    .strict(),
);

const surveyList = named('SurveyList', z.array(survey));

const period = z
  .object({
    amount: z.number().int().positive().max(1000),
    unit: z.enum(['days', 'weeks', 'months', 'years']),
  })
  .strict();

const expiry = named(
  'Expiry',
  z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('none') }).strict(),
    z.object({ mode: z.literal('static'), at: z.string().datetime({ offset: true }) }).strict(),
    z
      .object({
        mode: z.literal('dynamic'),
        amount: z.number().int().positive().max(100000),
        unit: z.enum(['hours', 'days']),
      })
      .strict(),
  ]),
);
const submissionLimit = named(
  'SubmissionLimit',
  z.object({ allowed: z.number().int().min(1).max(1000), reset: period.nullable().default(null) }).strict(),
);
const tags = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'tag names are identifiers'),
  z.string().max(500),
);
const hosting = named(
  'Hosting',
  z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('hosted') }).strict(),
    z
      .object({
        mode: z.literal('external'),
        url: z
          .string()
          .url()
          .refine((u) => u.startsWith('https://'), 'must be https'),
      })
      .strict(),
  ]),
);
/** Quiet hours: sends only then, in the recipient's local time (contact.timeZone, else `timeZone`). */
const sendWindow = named(
  'SendWindow',
  z
    .object({
      days: z
        .array(z.number().int().min(1).max(7))
        .min(1)
        .max(7)
        .refine((d) => new Set(d).size === d.length, 'days must not repeat (1 = Monday … 7 = Sunday)'),
      start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, e.g. 09:00'),
      end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, e.g. 20:00'),
      timeZone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Paris'),
    })
    .strict()
    .refine((w) => w.end > w.start, { message: 'must be after start', path: ['end'] }),
);

/** The survey pages' look: a logo (https), an accent colour, who asks. */
const branding = named(
  'Branding',
  z
    .object({
      logoUrl: z
        .string()
        .url()
        .max(2000)
        .refine((u) => u.startsWith('https://'), 'must be https')
        .optional(),
      accentColor: z
        .string()
        .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
        .optional(),
      senderName: z.string().min(1).max(100).optional(),
    })
    .strict(),
);

export const distributionBody = named(
  'DistributionInput',
  z
    .object({
      surveyId: z.string().uuid(),
      name: z.string().min(1).max(200),
      description: z.string().max(2000).default(''),
      /** standard: the whole survey on one page; conversational: one question at a time. */
      format: z.enum(['standard', 'conversational']).default('standard'),
      /** Before it the link shows "not open yet"; null = open at once. */
      startsAt: z.coerce.date().nullable().default(null),
      expiry: expiry.default({ mode: 'none' }),
      submissionLimit: submissionLimit
        .nullable()
        .default(null)
        .describe(
          'completions per link; null: one per case for links of a case (a second visit says "already answered"), none for links without a case',
        ),
      /** Case custom field → value: columns on every response and export. */
      tags: tags.default({}),
      defaultLanguage: languageTag.default('en'),
      hosting: hosting.default({ mode: 'hosted' }),
      /** Quiet hours: sends only then, in the recipient's local time (contact.timeZone, else `timeZone`). */
      sendWindow: sendWindow.nullable().default(null),
      branding: branding.nullable().default(null),
    })
    .strict()
    .superRefine((d, ctx) => {
      if (d.expiry.mode === 'static' && d.startsAt && Date.parse(d.expiry.at) <= d.startsAt.getTime())
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['expiry', 'at'],
          message: 'must be after startsAt',
        });
    }),
);
type DistributionBody = z.infer<typeof distributionBody>;

const channel = z.enum(['email', 'sms', 'whatsapp']);
export const distribution = named(
  'Distribution',
  z
    .object({
      id,
      surveyId: id,
      name: z.string(),
      description: z.string(),
      type: z.literal('trigger_personalized_link'),
      format: z.enum(['standard', 'conversational']),
      status: z
        .enum(['draft', 'active', 'failed', 'expired'])
        .describe('draft until an enabled rule references it; expired past its static expiry'),
      activation: z.string().describe('why it is (not) active, in words'),
      startsAt: isoDateTime.nullable(),
      expiry,
      accounts: z
        .object({
          email: z
            .object({
              fromEmail: z.string(),
              fromName: z.string().optional(),
              ratePerSecond: z.number().optional(),
            })
            .strict()
            .optional(),
          sms: z
            .object({
              from: z.string().optional(),
              messagingServiceSid: z.string().optional(),
              ratePerSecond: z.number().optional(),
            })
            .strict()
            .optional(),
          whatsapp: z.object({ from: z.string(), ratePerSecond: z.number().optional() }).strict().optional(),
        })
        .strict()
        .describe('sender accounts per channel (PUT /ops/distributions/{id}/channels)'),
      tags: z.record(z.string()),
      fallback: z
        .record(channel)
        .describe('the next channel to try when a send fails for good, e.g. whatsapp → sms'),
      defaultLanguage: z.string(),
      submissionLimit: submissionLimit.nullable(),
      hosting,
      sendWindow: sendWindow.nullable(),
      branding: branding.nullable(),
      createdAt: isoDateTime,
      updatedAt: isoDateTime,
    })
    .strict(),
);

/** How the API says whether a distribution is live, and why not. */
export function present(d: DistributionEntity, now: Date) {
  const status = distributionState(d, now);
  const activation =
    status === 'draft'
      ? 'draft: becomes active when an enabled rule references it'
      : status === 'active'
        ? 'active: referenced by a rule'
        : `${status}: no links are issued and rules can't reference it`;
  return { ...d, status, activation };
}

/** Surveys and their trigger-based personalized-link distributions. */
@ApiTags('distributions')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops')
export class DistributionsController {
  constructor(
    private readonly surveys: SurveyRepository,
    private readonly distributions: DistributionRepository,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  @Post('surveys')
  @RequireAccess('distribution:edit', 'all-surveys')
  @ApiContract({
    summary: 'Create a survey (hosted questions: nps, rating, single_choice, free_text; labels per language)',
    body: surveyBody,
    response: { status: 201, schema: survey },
    errors: [401, 403],
  })
  createSurvey(@Body(new ZodPipe(surveyBody)) s: z.infer<typeof surveyBody>) {
    return this.surveys.insert({ id: newId(), ...s });
  }

  @Put('surveys/:id')
  @RequireAccess('distribution:edit', [target.survey('params.id')])
  @ApiContract({
    summary: 'Replace a survey (status "closed" closes every link to it)',
    params: { id },
    body: surveyBody,
    response: { status: 200, schema: survey },
    errors: [401, 403, 404],
  })
  async putSurvey(
    @Param('id', uuid) id: string,
    @Body(new ZodPipe(surveyBody)) s: z.infer<typeof surveyBody>,
  ) {
    const survey = await this.surveys.update(id, s);
    if (!survey) throw new DomainError(ErrorCode.NOT_FOUND, `survey ${id} does not exist`);
    return survey;
  }

  @Get('surveys')
  @RequireAccess('distribution:view', 'filtered')
  @ApiContract({
    summary: 'List surveys (those the key may see), newest first',
    response: { status: 200, schema: surveyList },
    errors: [401, 403],
  })
  surveyList(@Req() req: AuthenticatedRequest) {
    return this.surveys.list(principalOf(req).surveyIds);
  }

  @Get('surveys/:id')
  @RequireAccess('distribution:view', [target.survey('params.id')])
  @ApiContract({
    summary: 'A survey',
    params: { id },
    response: { status: 200, schema: survey },
    errors: [401, 403, 404],
  })
  async survey(@Param('id', uuid) id: string) {
    const s = await this.surveys.findById(id);
    if (!s) throw new DomainError(ErrorCode.NOT_FOUND, `survey ${id} does not exist`);
    return s;
  }

  @Post('distributions')
  @RequireAccess('distribution:edit', [target.survey('body.surveyId')])
  @ApiContract({
    summary: 'Create a trigger-based personalized-link distribution (a draft until a rule references it)',
    body: distributionBody,
    response: { status: 201, schema: distribution },
    errors: [401, 403],
  })
  async create(@Body(new ZodPipe(distributionBody)) b: DistributionBody) {
    return this.uow.run(async (em) => {
      if (!(await this.surveys.exists(b.surveyId, em)))
        throw new DomainError(ErrorCode.VALIDATION, `surveyId: survey ${b.surveyId} does not exist`, {
          fields: [{ field: 'surveyId', message: `survey ${b.surveyId} does not exist` }],
        });
      return present(
        await this.distributions.insert({ id: newId(), ...b, status: 'draft' }, em),
        this.clock.now(),
      );
    });
  }

  @Put('distributions/:id')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Replace the settings of a distribution (links already issued keep what they were issued with)',
    params: { id },
    body: distributionBody,
    response: { status: 200, schema: distribution },
    errors: [401, 403, 404],
  })
  async update(@Param('id', uuid) id: string, @Body(new ZodPipe(distributionBody)) b: DistributionBody) {
    return this.uow.run(async (em) => {
      const d = await this.distributions.findForUpdate(id, em);
      if (!d) throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
      if (b.surveyId !== d.surveyId)
        throw new DomainError(ErrorCode.VALIDATION, 'surveyId: a distribution stays with its survey', {
          fields: [{ field: 'surveyId', message: 'a distribution stays with its survey' }],
        });
      // The stored status keeps draft/active; an expiry moved into the future makes an expired one a draft again.
      const status = d.status === 'expired' ? 'draft' : d.status;
      return present(await this.distributions.update(id, { ...b, status }, em), this.clock.now());
    });
  }

  @Get('distributions/:id')
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiContract({
    summary: 'A distribution, with whether it is active and why not',
    params: { id },
    response: { status: 200, schema: distribution },
    errors: [401, 403, 404],
  })
  async get(@Param('id', uuid) id: string) {
    const d = await this.distributions.findById(id);
    if (!d) throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
    return present(d, this.clock.now());
  }
}
