import { runApp } from '@fg/platform';
import { SenderEmailModule } from './sender-email.module';

void runApp({ app: 'sender-email', features: [SenderEmailModule], requirements: { sendgrid: true } });
