import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Clock } from '@fg/common';
import { ApiContract, ZodPipe } from '@fg/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess, target } from '../auth/permissions';
import { AnalyticsService } from './analytics.service';
import { funnel, funnelQuery, resultsQuery, surveyResults, toDate } from './analytics.schemas';

const id = z.string().uuid('ids are UUIDs');
const byId = new ZodPipe(id);
const DAY = 86_400_000;

/** The delivery funnel of a distribution and the response analytics of a survey. */
@ApiTags('analytics')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly clock: Clock,
  ) {}

  @Get('distributions/:id/funnel')
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiContract({
    summary:
      'The delivery funnel of the links issued in a period: issued → sent → delivered → opened → survey opened → started → completed, grouped by channel, language, rule or day, with the invites that did not go out by reason',
    params: { id },
    query: funnelQuery,
    response: { status: 200, schema: funnel },
    errors: [400, 401, 403, 404],
  })
  funnel(@Param('id', byId) id: string, @Query(new ZodPipe(funnelQuery)) q: z.infer<typeof funnelQuery>) {
    const to = q.to ? toDate(q.to) : this.clock.now();
    const from = q.from ? toDate(q.from) : new Date(to.getTime() - 30 * DAY);
    return this.analytics.funnel(id, { ...q, from, to });
  }

  @Get('surveys/:id/results')
  @RequireAccess('distribution:view', [target.survey('params.id')])
  @ApiContract({
    summary:
      'Response analytics of a survey: NPS (promoters, passives, detractors, score), rating averages, choice counts and the latest free-text answers, over completed responses filtered by distribution, period, channel, language and tags',
    params: { id },
    query: resultsQuery,
    response: { status: 200, schema: surveyResults },
    errors: [400, 401, 403, 404],
  })
  results(@Param('id', byId) id: string, @Query(new ZodPipe(resultsQuery)) q: z.infer<typeof resultsQuery>) {
    return this.analytics.results(id, {
      distributionIds: q.distributionId ? [q.distributionId] : null,
      from: q.from ? toDate(q.from) : undefined,
      to: q.to ? toDate(q.to) : undefined,
      channel: q.channel,
      language: q.language,
      tags: q.tag,
      texts: q.texts,
    });
  }
}
