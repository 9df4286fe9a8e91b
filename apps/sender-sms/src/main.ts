import { runApp } from '@fg/platform';
import { SenderSmsModule } from './sender-sms.module';

void runApp({ app: 'sender-sms', features: [SenderSmsModule], requirements: { twilio: true } });
