import { Module, OnModuleInit } from '@nestjs/common';
import { ChannelUnavailableHandler, InviteStatusService, InvitesModule } from '@fg/invites';
import { MessagingService } from '@fg/messaging';

/** Consumes `dispatch.whatsapp`; Twilio sending is not built yet (see ChannelUnavailableHandler). */
@Module({ imports: [InvitesModule] })
export class SenderWhatsappModule implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly statuses: InviteStatusService,
  ) {}

  onModuleInit() {
    this.messaging.register('sender-whatsapp', new ChannelUnavailableHandler('whatsapp', this.statuses));
  }
}
