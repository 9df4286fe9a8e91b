import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError, ErrorCode } from '@fg/common';
import {
  CaseRepository,
  DistributionRepository,
  InviteRepository,
  SandboxMessageRepository,
} from '@fg/persistence';
import { LinkIssuer } from '@fg/links';
import { ZodPipe } from '@fg/platform';
import { ApiKeyGuard, AuthenticatedRequest, principalOf } from '../auth/api-key.guard';
import { RequireAccess, target } from '../auth/permissions';

const listQuery = z.object({
  caseId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

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
  ) {}

  @Get('distributions')
  @RequireAccess('distribution:view', 'filtered')
  @ApiOperation({ summary: 'List distributions (of the surveys the key may see)' })
  distributions(@Req() req: AuthenticatedRequest) {
    return this.distributionRows.list(principalOf(req).surveyIds);
  }

  @Get('cases/:id')
  @RequireAccess('distribution:view', [target.case('params.id')])
  @ApiOperation({ summary: 'Our snapshot of a case, with the custom fields we wrote (e.g. the survey link)' })
  async case(@Param('id') id: string) {
    const c = await this.cases.findById(id);
    if (!c) throw new DomainError(ErrorCode.NOT_FOUND, `case ${id} is unknown`);
    // Custom fields hold link references (no working link at rest); the key holder sees the URLs.
    return this.issuer.resolveRefs(c);
  }

  @Get('invites')
  @RequireAccess('distribution:view', 'filtered')
  @ApiOperation({ summary: 'Invites (invitations, reminders, thank-yous) with their statuses' })
  @ApiQuery({ name: 'caseId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  async invites(
    @Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>,
    @Req() req: AuthenticatedRequest,
  ) {
    const scope = principalOf(req).surveyIds;
    const distributionIds = scope ? (await this.distributionRows.list(scope)).map((d) => d.id) : null;
    return this.inviteRows.list({ caseId: q.caseId, distributionIds, limit: q.limit });
  }

  @Get('sandbox/messages')
  @RequireAccess('distribution:view', 'all-surveys')
  @ApiOperation({ summary: 'Messages the sandbox providers kept instead of sending (embedded mode)' })
  @ApiQuery({ name: 'limit', required: false })
  async sandboxMessages(@Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>) {
    return this.issuer.resolveRefs(await this.sandbox.latest(q.limit));
  }
}
