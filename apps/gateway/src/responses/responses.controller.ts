import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode } from '@fg/common';
import { ResponseReport, responseReport } from '@fg/contracts';
import { UnitOfWork } from '@fg/messaging';
import { ApiContract, ZodPipe, named } from '@fg/platform';
import { ResponseService } from '@fg/responses';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess, target } from '../auth/permissions';

const id = z.string().uuid('link ids are UUIDs');
const linkId = new ZodPipe(id);
const reportInput = named('ResponseReportInput', responseReport);
const reportPipe = new ZodPipe(reportInput);
/** A link's response status after a report (also the answer of POST /ops/responses/report). */
export const responseState = named(
  'ResponseStatusOfLink',
  z.object({ linkId: z.string().uuid(), status: z.string(), changed: z.boolean() }).strict(),
);

/**
 * For surveys hosted elsewhere (or a CRM that knows): a respondent's progress on a link, published for the rules
 * (e.g. thank-you on Completed). The same path, schema and forward-only statuses as the hosted page and the
 * `response.reports` topic.
 */
@ApiTags('responses')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/links')
export class ResponsesController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly responses: ResponseService,
    private readonly clock: Clock,
  ) {}

  @Post(':linkId/response-status')
  @RequireAccess('distribution:edit', [target.link('params.linkId')])
  @HttpCode(200)
  @ApiContract({
    summary: "Report a link's response status (Survey Opened … Completed); only moves forward",
    params: { linkId: id },
    body: reportInput,
    response: { status: 200, schema: responseState },
    errors: [401, 403, 404],
  })
  async report(@Param('linkId', linkId) id: string, @Body(reportPipe) body: ResponseReport) {
    const at = body.occurredAt ? new Date(body.occurredAt) : this.clock.now();
    const out = await this.uow.run((em) => this.responses.report(em, id, body.status, at));
    if (out.state === 'unknown_link') throw new DomainError(ErrorCode.NOT_FOUND, `link ${id} does not exist`);
    return {
      linkId: id,
      status: out.state === 'unchanged' ? out.current : body.status,
      changed: out.state === 'moved',
    };
  }
}
