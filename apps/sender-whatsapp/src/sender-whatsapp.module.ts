import { Module } from '@nestjs/common';
import { SenderModule } from '@fg/senders';

/** Sends survey whatsapp messages; see SenderModule and docs/decisions/0011-channel-senders.md. */
@Module({ imports: [SenderModule.forChannel('whatsapp')] })
export class SenderWhatsappModule {}
