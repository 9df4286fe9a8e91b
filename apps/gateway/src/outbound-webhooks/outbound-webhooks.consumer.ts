import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CloudEvent } from '@fg/contracts';
import { BatchContext } from '@fg/messaging';
import { OutboundWebhooksService } from './outbound-webhooks.service';
import { WebhookDispatcher } from './webhook-dispatcher';
import { FunnelMetrics } from '../analytics/funnel-metrics';

/**
 * The events customers' endpoints can subscribe to (and that the funnel counters count, once the batch commits), turned into deliveries in the consumer's transaction (so an
 * event is enqueued exactly once per subscription, whatever restarts), then handed to the dispatcher. A delivery is
 * unique per (subscription, event id), so a redelivered event adds nothing without an inbox entry (`idempotent`):
 * most events match no subscription, and each used to cost an inbox row all the same.
 */
@Controller()
export class OutboundWebhooksConsumer {
  constructor(
    private readonly webhooks: OutboundWebhooksService,
    private readonly dispatcher: WebhookDispatcher,
    private readonly funnel: FunnelMetrics,
  ) {}

  @EventPattern('linkIssued', { consumer: 'gateway-webhooks-link-issued', idempotent: true })
  linkIssued(@Payload() events: CloudEvent[], @Ctx() ctx: BatchContext) {
    ctx.afterCommit(async () => this.funnel.linksIssued(events));
    return this.enqueue('link.issued', events, ctx);
  }

  @EventPattern('caseFieldUpdates', { consumer: 'gateway-webhooks-case-fields', idempotent: true })
  caseFieldUpdates(@Payload() events: CloudEvent[], @Ctx() ctx: BatchContext) {
    return this.enqueue('case.field-updates', events, ctx);
  }

  @EventPattern('inviteStatus', { consumer: 'gateway-webhooks-invite-status', idempotent: true })
  inviteStatus(@Payload() events: CloudEvent[], @Ctx() ctx: BatchContext) {
    ctx.afterCommit(async () => this.funnel.inviteStatuses(events));
    return this.enqueue('invite.status', events, ctx);
  }

  @EventPattern('responseStatus', { consumer: 'gateway-webhooks-response-status', idempotent: true })
  responseStatus(@Payload() events: CloudEvent[], @Ctx() ctx: BatchContext) {
    ctx.afterCommit(async () => this.funnel.responseStatuses(events));
    return this.enqueue('response.status', events, ctx);
  }

  private async enqueue(
    type: Parameters<OutboundWebhooksService['enqueue']>[1],
    events: CloudEvent[],
    ctx: BatchContext,
  ) {
    if ((await this.webhooks.enqueue(ctx.em, type, events)) > 0)
      ctx.afterCommit(async () => this.dispatcher.wake());
  }
}
