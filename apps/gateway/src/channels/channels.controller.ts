import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
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
import { distribution, present } from '../distributions/distributions.controller';
import {
  ChannelToolsService,
  TemplateBody,
  channelSettings,
  previewBody,
  templateBody,
  testSendBody,
} from './channel-tools.service';

const distributionId = z.string().uuid('distribution ids are UUIDs');
const byId = new ZodPipe(distributionId);

const templateInput = named('TemplateInput', templateBody);
const previewInput = named('TemplatePreviewInput', previewBody);
const testSendInput = named('TestSendInput', testSendBody);
const cloneInput = named(
  'DistributionCloneInput',
  z.object({ name: z.string().min(1).max(200).optional() }).strict(),
);
const channelSettingsInput = named('ChannelSettingsInput', channelSettings);
const pipes = {
  template: new ZodPipe(templateInput),
  preview: new ZodPipe(previewInput),
  testSend: new ZodPipe(testSendInput),
  clone: new ZodPipe(cloneInput),
  channels: new ZodPipe(channelSettingsInput),
};

const template = named(
  'Template',
  z
    .object({
      id: z.string().uuid(),
      distributionId: z.string().uuid(),
      channel,
      kind: z.enum(['invitation', 'reminder', 'thank_you']),
      language: z.string(),
      subject: z.string().nullable(),
      html: z.string().nullable(),
      text: z.string().nullable(),
      contentSid: z.string().nullable().describe('WhatsApp: the approved Twilio Content template'),
      contentVariables: z.record(z.string()).nullable(),
    })
    .strict(),
);
const templateList = named('TemplateList', z.array(template));
const preview = named(
  'TemplatePreview',
  z
    .object({
      template: z.object({ id: z.string().uuid(), language: z.string() }).strict(),
      message: z
        .discriminatedUnion('channel', [
          z
            .object({
              channel: z.literal('email'),
              to: z.string(),
              from: z.object({ email: z.string(), name: z.string().optional() }).strict(),
              subject: z.string(),
              html: z.string(),
              text: z.string(),
              headers: z
                .record(z.string())
                .optional()
                .describe(
                  'List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), as every email carries them',
                ),
            })
            .strict(),
          z
            .object({
              channel: z.literal('sms'),
              to: z.string(),
              from: z.string().optional(),
              messagingServiceSid: z.string().optional(),
              body: z.string(),
            })
            .strict(),
          z
            .object({
              channel: z.literal('whatsapp'),
              to: z.string(),
              from: z.string(),
              contentSid: z.string().optional(),
              contentVariables: z.record(z.string()).optional(),
              body: z.string().optional(),
            })
            .strict(),
        ])
        .describe('the message as it would be sent, for a sample case and a sample link'),
      sms: z
        .object({
          encoding: z.enum(['GSM-7', 'UCS-2']),
          characters: z.number().int(),
          segments: z.number().int(),
        })
        .strict()
        .optional()
        .describe('SMS: the encoding and how many segments the text costs'),
      whatsapp: z.object({ freeForm: z.boolean(), note: z.string() }).strict().optional(),
    })
    .strict(),
);
const testSent = named(
  'TestSend',
  z
    .object({
      inviteId: z.string().uuid().describe('follow it at GET /ops/invites?caseId=…'),
      caseId: z.string(),
    })
    .strict(),
);

const who = (req: Request & { principal?: Principal }) => `ops:${req.principal?.name ?? 'unknown'}`;

/** Templates, preview, test send, clone, sender accounts and fallback of a distribution. */
@ApiTags('channels')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/distributions/:id')
export class DistributionChannelsController {
  constructor(
    private readonly tools: ChannelToolsService,
    private readonly clock: Clock,
  ) {}

  @Get('templates')
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiContract({
    summary: "A distribution's templates (per channel, kind and language)",
    params: { id: distributionId },
    response: { status: 200, schema: templateList },
    errors: [401, 403, 404],
  })
  templates(@Param('id', byId) id: string) {
    return this.tools.templates(id);
  }

  @Put('templates')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Create or replace the template of a channel, kind and language (Handlebars)',
    params: { id: distributionId },
    body: templateInput,
    response: { status: 200, schema: template },
    errors: [401, 403, 404, 422],
  })
  putTemplate(@Param('id', byId) id: string, @Body(pipes.template) t: TemplateBody) {
    return this.tools.putTemplate(id, t);
  }

  @Post('preview')
  @HttpCode(200)
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiContract({
    summary:
      'Render a template for a sample case without sending (SMS: segment count); 422 names missing placeholders',
    params: { id: distributionId },
    body: previewInput,
    response: { status: 200, schema: preview },
    errors: [401, 403, 404, 422],
  })
  preview(@Param('id', byId) id: string, @Body(pipes.preview) body: z.infer<typeof previewBody>) {
    return this.tools.preview(id, body);
  }

  @Post('test-send')
  @HttpCode(202)
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Send a template to a test recipient through the real channel sender',
    params: { id: distributionId },
    body: testSendInput,
    response: { status: 202, schema: testSent },
    errors: [401, 403, 404, 422],
  })
  testSend(@Param('id', byId) id: string, @Body(pipes.testSend) body: z.infer<typeof testSendBody>) {
    return this.tools.testSend(id, body);
  }

  @Post('clone')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Copy the distribution (settings and templates) as a new draft',
    params: { id: distributionId },
    body: cloneInput,
    response: { status: 201, schema: distribution },
    errors: [401, 403, 404],
  })
  async clone(@Param('id', byId) id: string, @Body(pipes.clone) b: { name?: string }) {
    return present(await this.tools.clone(id, b.name), this.clock.now());
  }

  @Put('channels')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Sender accounts per channel and the fallback channel of each (e.g. whatsapp → sms)',
    params: { id: distributionId },
    body: channelSettingsInput,
    response: { status: 200, schema: distribution },
    errors: [401, 403, 404],
  })
  async channels(@Param('id', byId) id: string, @Body(pipes.channels) s: z.infer<typeof channelSettings>) {
    return present(await this.tools.putChannelSettings(id, s), this.clock.now());
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
