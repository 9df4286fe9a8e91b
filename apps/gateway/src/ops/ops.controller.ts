import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CaseEntity, DistributionEntity, InviteEntity, SandboxMessageEntity } from '@fg/persistence';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequirePermission } from '../auth/permissions';
import { ZodPipe } from '@fg/platform';

const listQuery = z.object({
  caseId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Read-only ops views for issue-2 flows; the distribution, rule and template editors live beside this. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops')
export class OpsController {
  constructor(private readonly ds: DataSource) {}

  @Get('distributions')
  @RequirePermission('distribution:view')
  @ApiOperation({ summary: 'List distributions' })
  distributions() {
    return this.ds.getRepository(DistributionEntity).find({ order: { createdAt: 'ASC' } });
  }

  @Get('cases/:id')
  @RequirePermission('distribution:view')
  @ApiOperation({ summary: 'Our snapshot of a case, with the custom fields we wrote (e.g. the survey link)' })
  async case(@Param('id') id: string) {
    const c = await this.ds.getRepository(CaseEntity).findOneBy({ id });
    if (!c) throw new NotFoundException(`case ${id} is unknown`);
    return c;
  }

  @Get('invites')
  @RequirePermission('distribution:view')
  @ApiOperation({ summary: 'Invites (invitations, reminders, thank-yous) with their statuses' })
  @ApiQuery({ name: 'caseId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  invites(@Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>) {
    return this.ds.getRepository(InviteEntity).find({
      where: q.caseId ? { caseId: q.caseId } : {},
      order: { createdAt: 'DESC' },
      take: q.limit,
    });
  }

  @Get('sandbox/messages')
  @RequirePermission('distribution:view')
  @ApiOperation({ summary: 'Messages the sandbox providers kept instead of sending (embedded mode)' })
  @ApiQuery({ name: 'limit', required: false })
  sandboxMessages(@Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>) {
    return this.ds.getRepository(SandboxMessageEntity).find({ order: { createdAt: 'DESC' }, take: q.limit });
  }
}
