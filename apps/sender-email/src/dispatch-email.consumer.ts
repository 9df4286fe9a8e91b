import { Injectable, OnModuleInit } from '@nestjs/common';
import { CloudEvent, DispatchRequested } from '@fg/contracts';
import { BatchContext, EventHandler, HandlerContext, MessagingService } from '@fg/messaging';
import { EmailSenderService } from './email-sender.service';

@Injectable()
export class DispatchEmailConsumer implements EventHandler<'dispatchEmail'>, OnModuleInit {
  readonly topic = 'dispatchEmail' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly sender: EmailSenderService,
  ) {}

  onModuleInit() {
    this.messaging.register('sender-email', this);
  }

  async handle(event: CloudEvent<DispatchRequested>, ctx: HandlerContext): Promise<void> {
    await this.sender.prepare(
      ctx.em,
      [{ d: event.data, correlationId: event.correlationid ?? event.id }],
      ctx.afterCommit,
    );
  }

  async handleBatch(events: CloudEvent<DispatchRequested>[], ctx: BatchContext): Promise<void> {
    await this.sender.prepare(
      ctx.em,
      events.map((e) => ({ d: e.data, correlationId: e.correlationid ?? e.id })),
      ctx.afterCommit,
    );
  }
}
