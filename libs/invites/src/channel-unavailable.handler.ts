import { EntityManager } from 'typeorm';
import { Channel, CloudEvent, DispatchRequested } from '@fg/contracts';
import { InviteEntity } from '@fg/persistence';
import { EventHandler, HandlerContext } from '@fg/messaging';
import { InviteStatusService } from './invite-status.service';

const TOPIC = { sms: 'dispatchSms', whatsapp: 'dispatchWhatsapp' } as const;

/**
 * A channel whose sending is not built yet: each dispatch ends as a Failed invite with a reason that says so,
 * published like any status change, so rules and operators see it instead of a message that never leaves.
 */
export class ChannelUnavailableHandler<C extends Exclude<Channel, 'email'>> implements EventHandler<
  (typeof TOPIC)[C]
> {
  readonly topic: (typeof TOPIC)[C];

  constructor(
    private readonly channel: C,
    private readonly statuses: InviteStatusService,
  ) {
    this.topic = TOPIC[channel];
  }

  async handle(event: CloudEvent<DispatchRequested>, { em }: HandlerContext): Promise<void> {
    await this.fail(em, event);
  }

  private async fail(em: EntityManager, event: CloudEvent<DispatchRequested>) {
    const invite = await em
      .getRepository(InviteEntity)
      .findOne({ where: { id: event.data.inviteId }, lock: { mode: 'pessimistic_write' } });
    if (!invite || invite.deliveryStatus !== 'pending') return;
    await this.statuses.transition(
      em,
      invite,
      {
        status: 'Failed',
        deliveryStatus: 'failed',
        reason: `CHANNEL_UNAVAILABLE: ${this.channel} sending is not available in this version`,
      },
      event.correlationid ?? event.id,
    );
  }
}
