// First: tracing (when configured) must wrap http, pg and kafkajs before they load.
import '../../../libs/telemetry/src/register';
import { runApp } from '@fg/platform';
import { SenderWhatsappModule } from './sender-whatsapp.module';

void runApp({ app: 'sender-whatsapp', features: [SenderWhatsappModule], requirements: { twilio: true } });
