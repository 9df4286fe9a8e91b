import { Injectable, OnModuleInit } from '@nestjs/common';
import { CloudEvent, DispatchRequested } from '@fg/contracts';
import { InviteEntity } from '@fg/persistence';
import { InviteStatusService } from '@fg/invites';
import { EventHandler, HandlerContext, MessagingService } from '@fg/messaging';

/**
 * Consumes `dispatch.sms`. Sending through Twilio is not built yet: each request ends as a Failed invite with
 * a reason that says so, published like any status change, so rules and operators see it instead of a
 * message that silently never leaves.
 */
@Injectable()
export class DispatchSmsConsumer implements EventHandler<'dispatchSms'>, OnModuleInit {
  readonly topic = 'dispatchSms' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly statuses: InviteStatusService,
  ) {}

  onModuleInit() {
    this.messaging.register('sender-sms', this);
  }

  async handle(event: CloudEvent<DispatchRequested>, { em }: HandlerContext): Promise<void> {
    const invite = await em
      .getRepository(InviteEntity)
      .findOne({ where: { id: event.data.inviteId }, lock: { mode: 'pessimistic_write' } });
    if (!invite || invite.deliveryStatus !== 'pending') return;
    await this.statuses.transition(em, invite, {
      status: 'Failed',
      deliveryStatus: 'failed',
      reason: 'CHANNEL_UNAVAILABLE: SMS sending is not available in this version',
    });
  }
}
