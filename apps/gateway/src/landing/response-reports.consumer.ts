import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock, DomainError, ErrorCode } from '@fg/common';
import { CloudEvent, ResponseStatusReported } from '@fg/contracts';
import { EventHandler, HandlerContext, MessagingService } from '@fg/messaging';
import { ResponseService } from '@fg/responses';
import { LandingService } from './landing.service';

/** Progress reports of surveys hosted elsewhere, over Kafka (the REST twin is POST /ops/responses/report). */
@Injectable()
export class ResponseReportsConsumer implements EventHandler<'responseReports'>, OnModuleInit {
  readonly topic = 'responseReports' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly landing: LandingService,
    private readonly responses: ResponseService,
    private readonly clock: Clock,
  ) {}

  onModuleInit() {
    this.messaging.register('gateway-response-reports', this);
  }

  async handle(event: CloudEvent<ResponseStatusReported>, { em }: HandlerContext): Promise<void> {
    const ref = this.landing.verifyRef(event.data.ref);
    if (!ref) throw new DomainError(ErrorCode.VALIDATION, 'ref is not a reference we signed');
    const at = event.data.occurredAt ? new Date(event.data.occurredAt) : this.clock.now();
    const out = await this.responses.report(em, ref.linkId, event.data.status, at);
    if (out.state === 'unknown_link')
      throw new DomainError(ErrorCode.VALIDATION, `ref names link ${ref.linkId}, which does not exist`);
  }
}
