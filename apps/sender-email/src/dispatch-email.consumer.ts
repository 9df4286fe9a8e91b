import { Injectable, OnModuleInit } from '@nestjs/common';
import { CloudEvent, DispatchRequested } from '@fg/contracts';
import { EventHandler, HandlerContext, MessagingService } from '@fg/messaging';
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
    await this.sender.prepare(ctx.em, event.data, ctx.afterCommit);
  }
}
