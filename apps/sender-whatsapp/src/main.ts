import { runApp } from '@fg/platform';
import { SenderWhatsappModule } from './sender-whatsapp.module';

void runApp({ app: 'sender-whatsapp', features: [SenderWhatsappModule], requirements: { twilio: true } });
