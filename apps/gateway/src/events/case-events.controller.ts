import { Controller, HttpCode, Post, Req, UseGuards, type RawBodyRequest } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError, ErrorCode, currentCorrelationId } from '@fg/common';
import { InvalidMessageError, Topics, decodeCloudEvent } from '@fg/contracts';
import { OutboxService, UnitOfWork } from '@fg/messaging';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess } from '../auth/permissions';

/**
 * CloudEvents over HTTP for systems that can't produce to Kafka (and for the embedded mode): the same
 * contract as the `case.events` topic, structured (`application/cloudevents+json`) or binary (`ce-*` headers).
 */
@ApiTags('events')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('events')
export class CaseEventsController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxService,
  ) {}

  @Post('cases')
  @HttpCode(202)
  @RequireAccess('case-events:publish', 'none')
  @ApiOperation({ summary: 'Publish a case.created / case.updated CloudEvent onto case.events' })
  @ApiBody({
    schema: {
      example: {
        specversion: '1.0',
        id: 'evt-1',
        source: 'crm',
        type: 'case.updated',
        data: {
          caseId: 'CASE-1',
          fields: { status: 'Resolved' },
          contact: { name: 'Ada', email: 'ada@example.com' },
        },
      },
    },
  })
  async publish(@Req() req: RawBodyRequest<Request>) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v !== 'string') continue;
      if (k.startsWith('ce-')) headers[`ce_${k.slice(3)}`] = v;
      if (k === 'content-type') headers['content-type'] = v;
    }
    let event;
    try {
      event = decodeCloudEvent(Topics.caseEvents, { key: null, value: req.rawBody ?? null, headers });
    } catch (e) {
      if (e instanceof InvalidMessageError) throw new DomainError(ErrorCode.VALIDATION, e.message);
      throw e;
    }
    await this.uow.run(async (em) => {
      this.outbox.add(em, {
        topic: 'caseEvents',
        key: event.data.caseId,
        data: event.data,
        id: event.id,
        source: event.source,
        type: event.type,
        time: event.time,
        subject: event.subject,
        // The chain's id: the event's `correlationid` extension, else the caller's X-Correlation-Id, else the
        // case event's own id (what the CRM knows it by).
        correlationId:
          event.correlationid ??
          (req.header('x-correlation-id') ? currentCorrelationId() : undefined) ??
          event.id,
      });
    });
    return { id: event.id, source: event.source };
  }
}
