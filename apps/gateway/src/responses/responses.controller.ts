import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode } from '@fg/common';
import { responseStatus } from '@fg/contracts';
import { ResponseStatusService } from '@fg/invites';
import { MessagingService, OutboxService } from '@fg/messaging';
import { ZodPipe } from '@fg/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess, target } from '../auth/permissions';

const linkId = new ZodPipe(z.string().uuid('link ids are UUIDs'));
const report = z
  .object({
    status: responseStatus.exclude(['Not Started']),
    /** When it happened at the survey tool; default now. */
    occurredAt: z.coerce.date().optional(),
  })
  .strict();

/**
 * For surveys hosted elsewhere: the survey tool reports a respondent's progress on a link, and the change is
 * published for the rules (e.g. thank-you on Completed). Statuses only move forward.
 */
@ApiTags('responses')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/links')
export class ResponsesController {
  constructor(
    private readonly responses: ResponseStatusService,
    private readonly outbox: OutboxService,
    private readonly messaging: MessagingService,
    private readonly clock: Clock,
  ) {}

  @Post(':linkId/response-status')
  @RequireAccess('distribution:edit', [target.link('params.linkId')])
  @HttpCode(200)
  @ApiOperation({
    summary: "Report a link's response status (Survey Opened … Completed); only moves forward",
  })
  @ApiBody({ schema: { example: { status: 'Completed' } } })
  async report(@Param('linkId', linkId) id: string, @Body(new ZodPipe(report)) body: z.infer<typeof report>) {
    const result = await this.outbox.transaction(async (em) => {
      const [link]: { response_status: string }[] = await em.query(
        `SELECT response_status FROM survey_links WHERE id = $1`,
        [id],
      );
      if (!link) throw new DomainError(ErrorCode.NOT_FOUND, `link ${id} does not exist`);
      const moved = await this.responses.advance(em, id, body.status, body.occurredAt ?? this.clock.now());
      return { linkId: id, status: moved ? body.status : link.response_status, changed: moved !== null };
    });
    if (result.changed) this.messaging.wakeRelay();
    return result;
  }
}
