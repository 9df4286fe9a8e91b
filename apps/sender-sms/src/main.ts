// First: tracing (when configured) must wrap http, pg and kafkajs before they load.
import '../../../libs/telemetry/src/register';
import { runApp } from '@fg/platform';
import { SenderSmsModule } from './sender-sms.module';

void runApp({ app: 'sender-sms', features: [SenderSmsModule], requirements: { twilio: true } });
