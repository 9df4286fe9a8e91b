import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CloudEvent, DeliveryReceipt } from '@fg/contracts';
import { InviteStatusService } from '@fg/invites';
import { BatchContext } from '@fg/messaging';

/** Applies receipts to invites; each status change is published on `invite.status`. */
@Controller()
export class DeliveryReceiptsConsumer {
  constructor(private readonly statuses: InviteStatusService) {}

  @EventPattern('deliveryReceipts', { consumer: 'gateway-receipts' })
  async receipts(@Payload() events: CloudEvent<DeliveryReceipt>[], @Ctx() { em }: BatchContext) {
    await this.statuses.applyReceipts(
      em,
      events.map((e) => ({ receipt: e.data, correlationId: e.correlationid ?? e.id })),
    );
  }
}
