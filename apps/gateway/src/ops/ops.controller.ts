import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode } from '@fg/common';
import { channel, contact, deliveryStatus, inviteStatus, responseStatus, scalar } from '@fg/contracts';
import {
  CaseRepository,
  DeliveryReceiptRepository,
  DistributionRepository,
  InviteRepository,
  SandboxMessageRepository,
  SurveyLinkRepository,
} from '@fg/persistence';
import { LinkIssuer } from '@fg/links';
import { ApiContract, ZodPipe, isoDateTime, named } from '@fg/platform';
import { distribution, present } from '../distributions/distributions.controller';
import { ApiKeyGuard, AuthenticatedRequest, principalOf } from '../auth/api-key.guard';
import { RequireAccess, target } from '../auth/permissions';
import { instant, toDate } from '../analytics/analytics.schemas';
import { RulesAdminService } from '../rules/rules-admin.service';
import { ruleEvaluationList } from '../rules/rules.schemas';

const listQuery = z.object({
  caseId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const list = new ZodPipe(listQuery);
const inviteSearch = z
  .object({
    distributionId: z.string().uuid().optional(),
    caseId: z.string().min(1).max(200).optional(),
    recipient: z.string().min(1).max(320).optional().describe('the address, exactly (case-insensitive)'),
    status: inviteStatus.optional(),
    reasonCode: z
      .string()
      .regex(/^[A-Z_]{2,40}$/)
      .optional()
      .describe('the reason code, e.g. SUPPRESSED or QUARANTINED'),
    channel: channel.optional(),
    kind: z.enum(['invitation', 'reminder', 'thank_you']).optional(),
    from: instant.optional(),
    to: instant.optional(),
    before: z.string().uuid().optional().describe('the last invite of the previous page'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
const inviteId = z.string().uuid('ids are UUIDs');
const caseId = z.string().min(1).max(200);

const distributionList = named('DistributionList', z.array(distribution));
const caseSnapshot = named(
  'Case',
  z
    .object({
      id: z.string().describe("the CRM's case id"),
      caseNumber: z.string().nullable(),
      fields: z.record(scalar),
      customFields: z.record(scalar).describe('fields we wrote, e.g. survey_link (as the URL)'),
      contact: contact.nullable(),
      sourceVersion: z.string().nullable(),
      updatedAt: isoDateTime,
    })
    .strict(),
);
const invite = named(
  'Invite',
  z
    .object({
      id: z.string().uuid(),
      actionId: z.string().uuid(),
      linkId: z.string().uuid(),
      distributionId: z.string().uuid(),
      caseId: z.string(),
      channel,
      kind: z.enum(['invitation', 'reminder', 'thank_you']),
      language: z.string(),
      recipient: z.string(),
      contactKey: z.string().nullable(),
      fallbackOf: z.string().uuid().nullable(),
      useDistributionAccount: z.boolean(),
      status: inviteStatus,
      deliveryStatus,
      reason: z.string().nullable().describe('a reason code and detail, e.g. SUPPRESSED: …'),
      providerMessageId: z.string().nullable(),
      attemptedAt: isoDateTime.nullable(),
      attempts: z.number().int(),
      nextAttemptAt: isoDateTime.nullable(),
      deferredSince: isoDateTime.nullable(),
      sentAt: isoDateTime.nullable(),
      statusChangedAt: isoDateTime.nullable(),
      createdAt: isoDateTime,
    })
    .strict(),
);
const inviteList = named('InviteList', z.array(invite));
const inviteTimeline = named(
  'InviteTimeline',
  z
    .object({
      invite,
      link: z
        .object({
          id: z.string().uuid(),
          responseStatus,
          openedAt: isoDateTime.nullable(),
          expiresAt: isoDateTime.nullable(),
          revokedAt: isoDateTime.nullable(),
          language: z.string(),
        })
        .strict()
        .nullable(),
      related: z
        .array(invite)
        .describe("the case's other invites of this distribution (reminders, fallbacks)"),
      receipts: z.array(
        z
          .object({
            id: z.string().uuid(),
            inviteId: z.string().uuid(),
            provider: z.string(),
            event: z.string(),
            providerEventId: z.string().nullable(),
            reason: z.string().nullable(),
            occurredAt: isoDateTime,
            createdAt: isoDateTime,
          })
          .strict(),
      ),
      evaluations: ruleEvaluationList,
    })
    .strict(),
);
const sandboxMessages = named(
  'SandboxMessageList',
  z.array(
    z
      .object({
        id: z.string().uuid(),
        channel,
        inviteId: z.string().uuid().nullable(),
        toAddress: z.string(),
        fromAddress: z.string().nullable(),
        subject: z.string().nullable(),
        text: z.string().nullable(),
        html: z.string().nullable(),
        createdAt: isoDateTime,
      })
      .strict(),
  ),
);

/** Read-only ops views: distributions, a case's snapshot, invites, the sandbox's kept messages. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops')
export class OpsController {
  constructor(
    private readonly distributionRows: DistributionRepository,
    private readonly cases: CaseRepository,
    private readonly inviteRows: InviteRepository,
    private readonly sandbox: SandboxMessageRepository,
    private readonly issuer: LinkIssuer,
    private readonly links: SurveyLinkRepository,
    private readonly receipts: DeliveryReceiptRepository,
    private readonly rules: RulesAdminService,
    private readonly clock: Clock,
  ) {}

  @Get('distributions')
  @RequireAccess('distribution:view', 'filtered')
  @ApiContract({
    summary:
      'List distributions (of the surveys the key may see), each with whether it is active and why not',
    response: { status: 200, schema: distributionList },
    errors: [401, 403],
  })
  async distributions(@Req() req: AuthenticatedRequest) {
    const now = this.clock.now();
    return (await this.distributionRows.list(principalOf(req).surveyIds)).map((d) => present(d, now));
  }

  @Get('cases/:id')
  @RequireAccess('distribution:view', [target.case('params.id')])
  @ApiContract({
    summary: 'Our snapshot of a case, with the custom fields we wrote (e.g. the survey link)',
    params: { id: caseId },
    response: { status: 200, schema: caseSnapshot },
    errors: [401, 403, 404],
  })
  async case(@Param('id', new ZodPipe(caseId)) id: string) {
    const c = await this.cases.findById(id);
    if (!c) throw new DomainError(ErrorCode.NOT_FOUND, `case ${id} is unknown`);
    // Custom fields hold link references (no working link at rest); the key holder sees the URLs.
    return this.issuer.resolveRefs(c);
  }

  @Get('invites')
  @RequireAccess('distribution:view', 'filtered')
  @ApiContract({
    summary: 'Invites (invitations, reminders, thank-yous) with their statuses, newest first',
    query: inviteSearch,
    response: { status: 200, schema: inviteList },
    errors: [400, 401, 403],
  })
  async invites(
    @Query(new ZodPipe(inviteSearch)) q: z.infer<typeof inviteSearch>,
    @Req() req: AuthenticatedRequest,
  ) {
    const scope = principalOf(req).surveyIds;
    const distributionIds = scope ? (await this.distributionRows.list(scope)).map((d) => d.id) : null;
    return this.inviteRows.search({
      ...q,
      distributionIds,
      from: q.from ? toDate(q.from) : undefined,
      to: q.to ? toDate(q.to) : undefined,
    });
  }

  @Get('invites/:id')
  @RequireAccess('distribution:view', [target.invite('params.id')])
  @ApiContract({
    summary:
      "An invite's timeline: its statuses, every delivery receipt, its link's response status, the case's other invites of the distribution and the rule evaluations of the case",
    params: { id: inviteId },
    response: { status: 200, schema: inviteTimeline },
    errors: [401, 403, 404],
  })
  async invite(@Param('id', new ZodPipe(inviteId)) id: string, @Req() req: AuthenticatedRequest) {
    const found = await this.inviteRows.findById(id);
    if (!found) throw new DomainError(ErrorCode.NOT_FOUND, `invite ${id} does not exist`);
    const [link, related, evaluations] = await Promise.all([
      this.links.findById(found.linkId),
      this.inviteRows.search({
        distributionIds: [found.distributionId],
        caseId: found.caseId,
        limit: 100,
      }),
      this.rules.evaluations({ caseId: found.caseId, limit: 50 }, principalOf(req)),
    ]);
    const receipts = await this.receipts.forInvites([found.id]);
    return {
      invite: found,
      link: link && {
        id: link.id,
        responseStatus: link.responseStatus,
        openedAt: link.openedAt,
        expiresAt: link.expiresAt,
        revokedAt: link.revokedAt,
        language: link.language,
      },
      related: related.filter((i) => i.id !== found.id),
      receipts,
      evaluations,
    };
  }

  @Get('sandbox/messages')
  @RequireAccess('distribution:view', 'all-surveys')
  @ApiContract({
    summary: 'Messages the sandbox providers kept instead of sending (embedded mode), newest first',
    query: listQuery,
    response: { status: 200, schema: sandboxMessages },
    errors: [401, 403],
  })
  async sandboxMessages(@Query(list) q: z.infer<typeof listQuery>) {
    return this.issuer.resolveRefs(await this.sandbox.latest(q.limit));
  }
}
