import { Module, OnModuleInit } from '@nestjs/common';
import { ChannelUnavailableHandler, InviteStatusService, InvitesModule } from '@fg/invites';
import { MessagingService } from '@fg/messaging';

/** Consumes `dispatch.sms`; Twilio sending is not built yet (see ChannelUnavailableHandler). */
@Module({ imports: [InvitesModule] })
export class SenderSmsModule implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly statuses: InviteStatusService,
  ) {}

  onModuleInit() {
    this.messaging.register('sender-sms', new ChannelUnavailableHandler('sms', this.statuses));
  }
}
