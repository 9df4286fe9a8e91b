import { Injectable, OnModuleInit } from '@nestjs/common';
import { CloudEvent, DeliveryReceipt } from '@fg/contracts';
import { InviteStatusService } from '@fg/invites';
import { BatchContext, EventHandler, HandlerContext, MessagingService } from '@fg/messaging';

/** Applies receipts to invites; each status change is published on `invite.status`. */
@Injectable()
export class DeliveryReceiptsConsumer implements EventHandler<'deliveryReceipts'>, OnModuleInit {
  readonly topic = 'deliveryReceipts' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly statuses: InviteStatusService,
  ) {}

  onModuleInit() {
    this.messaging.register('gateway-receipts', this);
  }

  async handle(event: CloudEvent<DeliveryReceipt>, ctx: HandlerContext): Promise<void> {
    await this.statuses.applyReceipt(ctx.em, event.data, event.correlationid);
  }

  async handleBatch(events: CloudEvent<DeliveryReceipt>[], ctx: BatchContext): Promise<void> {
    await this.statuses.applyReceipts(
      ctx.em,
      events.map((e) => ({ receipt: e.data, correlationId: e.correlationid ?? e.id })),
    );
  }
}
