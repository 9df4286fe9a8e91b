// First: tracing (when configured) must wrap http, pg and kafkajs before they load.
import '../../../libs/telemetry/src/register';
import { runApp } from '@fg/platform';
import { GatewayModule } from './gateway.module';

void runApp({
  app: 'gateway',
  features: [GatewayModule],
  requirements: { sendgridWebhook: true },
  openapi: true,
});
