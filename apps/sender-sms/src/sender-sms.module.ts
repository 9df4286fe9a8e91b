import { Module } from '@nestjs/common';
import { InvitesModule } from '@fg/invites';
import { DispatchSmsConsumer } from './dispatch-sms.consumer';

@Module({ imports: [InvitesModule], providers: [DispatchSmsConsumer] })
export class SenderSmsModule {}
