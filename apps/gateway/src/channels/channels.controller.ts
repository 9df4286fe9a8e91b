import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode, newId } from '@fg/common';
import { channel } from '@fg/contracts';
import { SuppressionService, normalizeAddress } from '@fg/invites';
import { QuarantineRuleRepository } from '@fg/persistence';
import { ApiContract, ZodPipe, named } from '@fg/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { Principal } from '../auth/api-key.service';
import { RequireAccess, target } from '../auth/permissions';
import { UnitOfWork } from '@fg/messaging';
import {
  ChannelToolsService,
  TemplateBody,
  channelSettings,
  previewBody,
  templateBody,
  testSendBody,
} from './channel-tools.service';

const uuid = (what: string) => new ZodPipe(z.string().uuid(`${what} ids are UUIDs`));
const who = (req: Request & { principal?: Principal }) => `ops:${req.principal?.name ?? 'unknown'}`;

/** Templates, preview, test send, clone, sender accounts and fallback of a distribution. */
@ApiTags('channels')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/distributions/:id')
export class DistributionChannelsController {
  constructor(private readonly tools: ChannelToolsService) {}

  @Get('templates')
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiOperation({ summary: "A distribution's templates (per channel, kind and language)" })
  templates(@Param('id', uuid('distribution')) id: string) {
    return this.tools.templates(id);
  }

  @Put('templates')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiOperation({ summary: 'Create or replace the template of a channel, kind and language (Handlebars)' })
  @ApiBody({
    schema: {
      example: {
        channel: 'sms',
        kind: 'invitation',
        language: 'en',
        text: 'Hi {{customer_first_name}}, how did we do on case {{case_number}}? {{survey_link}}',
      },
    },
  })
  putTemplate(
    @Param('id', uuid('distribution')) id: string,
    @Body(new ZodPipe(templateBody)) t: TemplateBody,
  ) {
    return this.tools.putTemplate(id, t);
  }

  @Post('preview')
  @HttpCode(200)
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiOperation({
    summary:
      'Render a template for a sample case without sending (SMS: segment count); 422 names missing placeholders',
  })
  preview(
    @Param('id', uuid('distribution')) id: string,
    @Body(new ZodPipe(previewBody)) body: z.infer<typeof previewBody>,
  ) {
    return this.tools.preview(id, body);
  }

  @Post('test-send')
  @HttpCode(202)
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiOperation({ summary: 'Send a template to a test recipient through the real channel sender' })
  testSend(
    @Param('id', uuid('distribution')) id: string,
    @Body(new ZodPipe(testSendBody)) body: z.infer<typeof testSendBody>,
  ) {
    return this.tools.testSend(id, body);
  }

  @Post('clone')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiOperation({ summary: 'Copy the distribution (settings and templates) as a new draft' })
  clone(
    @Param('id', uuid('distribution')) id: string,
    @Body(new ZodPipe(z.object({ name: z.string().min(1).max(200).optional() }).strict()))
    b: { name?: string },
  ) {
    return this.tools.clone(id, b.name);
  }

  @Put('channels')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiOperation({
    summary: 'Sender accounts per channel and the fallback channel of each (e.g. whatsapp → sms)',
  })
  channels(
    @Param('id', uuid('distribution')) id: string,
    @Body(new ZodPipe(channelSettings)) s: z.infer<typeof channelSettings>,
  ) {
    return this.tools.putChannelSettings(id, s);
  }
}

const suppressionQuery = z.object({
  channel: channel.optional(),
  address: z.string().min(1).max(320).optional(),
  active: z.enum(['true', 'false']).default('true').describe('false: also suppressions lifted since'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const suppressionBody = named(
  'SuppressionInput',
  z
    .object({
      channel,
      address: z.string().min(3).max(320),
      reason: z.string().min(1).max(500).default('added by an operator'),
    })
    .strict(),
);
const liftBody = named(
  'SuppressionLiftInput',
  z.object({ channel, address: z.string().min(3).max(320) }).strict(),
);
const suppressionList = named(
  'SuppressionList',
  z.array(
    z
      .object({
        channel,
        address: z.string().describe('normalised: lower-case e-mail, E.164 number'),
        reason: z.string(),
        source: z.string().describe('who or what suppressed it: an operator key, a provider, a STOP reply'),
        suppressedAt: z.string().datetime({ offset: true }),
        liftedAt: z.string().datetime({ offset: true }).nullable(),
        liftedBy: z.string().nullable(),
      })
      .strict(),
  ),
);
const suppressionState = named(
  'SuppressionState',
  z.object({ channel, address: z.string(), suppressed: z.boolean() }).strict(),
);
const suppressionPipes = {
  query: new ZodPipe(suppressionQuery),
  body: new ZodPipe(suppressionBody),
  lift: new ZodPipe(liftBody),
};

const quarantineRule = z
  .object({
    name: z.string().min(1).max(200),
    /** Only invitations on this channel count and are checked; none = every channel. */
    channel: channel.nullable().default(null),
    maxInvites: z.number().int().min(0).max(1000),
    period: z
      .object({
        amount: z.number().int().positive().max(1000),
        unit: z.enum(['hours', 'days', 'weeks', 'months', 'years']),
      })
      .strict(),
    enabled: z.boolean().default(true),
  })
  .strict();
type QuarantineRule = z.infer<typeof quarantineRule>;
const quarantineRuleInput = named('QuarantineRuleInput', quarantineRule);
const quarantineRuleBody = new ZodPipe(quarantineRuleInput);
const savedQuarantineRule = named(
  'QuarantineRule',
  z
    .object({
      id: z.string().uuid(),
      name: z.string(),
      channel: channel.nullable(),
      maxInvites: z.number().int(),
      period: z
        .object({ amount: z.number().int(), unit: z.enum(['hours', 'days', 'weeks', 'months', 'years']) })
        .strict(),
      enabled: z.boolean(),
    })
    .strict(),
);
const quarantineRuleList = named('QuarantineRuleList', z.array(savedQuarantineRule));
const quarantineRuleId = z.string().uuid('rule ids are UUIDs');

/** The suppression list and the contact-frequency (quarantine) rules. */
@ApiTags('channels')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops')
export class SuppressionsController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly suppressions: SuppressionService,
    private readonly quarantineRules: QuarantineRuleRepository,
    private readonly clock: Clock,
  ) {}

  @Get('suppressions')
  @RequireAccess('distribution:view', 'all-surveys')
  @ApiContract({
    summary: 'Suppressed addresses per channel, with reason and source, newest first',
    query: suppressionQuery,
    response: { status: 200, schema: suppressionList },
    errors: [401, 403],
  })
  list(@Query(suppressionPipes.query) q: z.infer<typeof suppressionQuery>) {
    return this.suppressions.list({
      channel: q.channel,
      address: q.address,
      activeOnly: q.active === 'true',
      limit: q.limit,
    });
  }

  @Post('suppressions')
  @RequireAccess('distribution:edit', 'all-surveys')
  @ApiContract({
    summary: 'Suppress an address on a channel',
    body: suppressionBody,
    response: { status: 201, schema: suppressionState },
    errors: [401, 403],
  })
  async add(@Body(suppressionPipes.body) b: z.infer<typeof suppressionBody>, @Req() req: Request) {
    await this.uow.run((em) =>
      this.suppressions.suppress(
        em,
        [{ channel: b.channel, address: b.address, reason: b.reason, source: who(req) }],
        this.clock.now(),
      ),
    );
    return { channel: b.channel, address: normalizeAddress(b.channel, b.address), suppressed: true };
  }

  @Post('suppressions/lift')
  @HttpCode(200)
  @RequireAccess('distribution:edit', 'all-surveys')
  @ApiContract({
    summary: 'Lift the suppression of an address on a channel',
    body: liftBody,
    response: { status: 200, schema: suppressionState },
    errors: [401, 403, 404],
  })
  async lift(@Body(suppressionPipes.lift) b: z.infer<typeof liftBody>, @Req() req: Request) {
    const lifted = await this.uow.run((em) =>
      this.suppressions.lift(em, b.channel, b.address, who(req), this.clock.now()),
    );
    if (!lifted) throw new DomainError(ErrorCode.NOT_FOUND, `${b.address} is not suppressed on ${b.channel}`);
    return { channel: b.channel, address: normalizeAddress(b.channel, b.address), suppressed: false };
  }

  @Get('quarantine-rules')
  @RequireAccess('distribution:view', 'all-surveys')
  @ApiContract({
    summary: 'Contact-frequency (quarantine) rules',
    response: { status: 200, schema: quarantineRuleList },
    errors: [401, 403],
  })
  rules() {
    return this.quarantineRules.list();
  }

  @Post('quarantine-rules')
  @RequireAccess('distribution:edit', 'all-surveys')
  @ApiContract({
    summary: 'Add a contact-frequency rule, e.g. at most 1 invitation per contact per 30 days',
    body: quarantineRuleInput,
    response: { status: 201, schema: savedQuarantineRule },
    errors: [401, 403],
  })
  async addRule(@Body(quarantineRuleBody) r: QuarantineRule) {
    const id = newId();
    await this.quarantineRules.insert(id, r);
    return { id, ...r };
  }

  @Put('quarantine-rules/:ruleId')
  @RequireAccess('distribution:edit', 'all-surveys')
  @ApiContract({
    summary: 'Replace a contact-frequency rule',
    params: { ruleId: quarantineRuleId },
    body: quarantineRuleInput,
    response: { status: 200, schema: savedQuarantineRule },
    errors: [401, 403, 404],
  })
  async putRule(
    @Param('ruleId', new ZodPipe(quarantineRuleId)) id: string,
    @Body(quarantineRuleBody) r: QuarantineRule,
  ) {
    if (!(await this.quarantineRules.update(id, r)))
      throw new DomainError(ErrorCode.NOT_FOUND, `quarantine rule ${id} does not exist`);
    return { id, ...r };
  }
}
