import { Module } from '@nestjs/common';
import { InvitesModule } from '@fg/invites';
import { DispatchWhatsappConsumer } from './dispatch-whatsapp.consumer';

@Module({ imports: [InvitesModule], providers: [DispatchWhatsappConsumer] })
export class SenderWhatsappModule {}
