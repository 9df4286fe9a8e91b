import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Clock, DomainError, ErrorCode } from '@fg/common';
import { CloudEvent, ResponseStatusReported } from '@fg/contracts';
import { BatchContext } from '@fg/messaging';
import { ResponseService } from '@fg/responses';
import { LandingService } from './landing.service';

/** Progress reports of surveys hosted elsewhere, over Kafka (the REST twin is POST /ops/responses/report). */
@Controller()
export class ResponseReportsConsumer {
  constructor(
    private readonly landing: LandingService,
    private readonly responses: ResponseService,
    private readonly clock: Clock,
  ) {}

  /** A bad reference fails the chunk; retried alone, its event goes to the dead-letter topic with the reason. */
  @EventPattern('responseReports', { consumer: 'gateway-response-reports' })
  async reports(@Payload() events: CloudEvent<ResponseStatusReported>[], @Ctx() { em }: BatchContext) {
    for (const event of events) {
      const ref = this.landing.verifyRef(event.data.ref);
      if (!ref) throw new DomainError(ErrorCode.VALIDATION, 'ref is not a reference we signed');
      const at = event.data.occurredAt ? new Date(event.data.occurredAt) : this.clock.now();
      const out = await this.responses.report(em, ref.linkId, event.data.status, at);
      if (out.state === 'unknown_link')
        throw new DomainError(ErrorCode.VALIDATION, `ref names link ${ref.linkId}, which does not exist`);
    }
  }
}
