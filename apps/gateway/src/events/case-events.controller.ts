import { Controller, HttpCode, Post, Req, UseGuards, type RawBodyRequest } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError, ErrorCode, currentCorrelationId } from '@fg/common';
import {
  InvalidMessageError,
  Topics,
  caseEventData,
  cloudEventAttributes,
  decodeCloudEvent,
} from '@fg/contracts';
import { ApiContract, named } from '@fg/platform';
import { z } from 'zod';
import { OutboxService, SpanKind, UnitOfWork, inSpan } from '@fg/messaging';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess } from '../auth/permissions';

/**
 * CloudEvents over HTTP for systems that can't produce to Kafka (and for the embedded mode): the same
 * contract as the `case.events` topic, structured (`application/cloudevents+json`) or binary (`ce-*` headers).
 */
const caseEventBody = named(
  'CaseEvent',
  cloudEventAttributes
    .extend({ type: z.enum(['case.created', 'case.updated']), data: caseEventData })
    .catchall(z.union([z.string(), z.number().int(), z.boolean()]))
    .describe(
      'Other attributes are CloudEvents extensions (names: lower-case letters and digits, at most 20): kept and passed on. `traceparent`/`tracestate` continue your trace.',
    ),
);
const accepted = named('CaseEventAccepted', z.object({ id: z.string(), source: z.string() }).strict());

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
  @ApiContract({
    summary: 'Publish a case.created / case.updated CloudEvent onto case.events',
    description:
      'Structured mode (`Content-Type: application/cloudevents+json`, the event as the body) or binary mode (`ce-*` headers, the data as a JSON body). The event `id` is the idempotency key: the same id twice is one event.',
    body: caseEventBody,
    rawBody: {
      decodedBy: 'decodeCloudEvent (Topics.caseEvents)',
      contentTypes: ['application/cloudevents+json', 'application/json'],
    },
    response: { status: 202, schema: accepted },
    errors: [401, 403, 413],
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
    // The event's own trace context (CloudEvents distributed tracing) continues; its unknown extensions go on.
    const carried = {
      traceparent: event.traceparent,
      tracestate: event.tracestate,
      extensions: event.extensions,
    };
    await inSpan(
      'publish case.events',
      SpanKind.PRODUCER,
      carried,
      { 'cloudevents.event_id': event.id },
      () =>
        this.uow.run(async (em) => {
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
        }),
    );
    return { id: event.id, source: event.source };
  }
}
