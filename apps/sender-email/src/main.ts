// First: tracing (when configured) must wrap http, pg and kafkajs before they load.
import '../../../libs/telemetry/src/register';
import { runApp } from '@fg/platform';
import { SenderEmailModule } from './sender-email.module';

void runApp({ app: 'sender-email', features: [SenderEmailModule], requirements: { sendgrid: true } });
