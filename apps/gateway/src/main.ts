import { runApp } from '@fg/platform';
import { GatewayModule } from './gateway.module';

void runApp({
  app: 'gateway',
  features: [GatewayModule],
  requirements: { sendgridWebhook: true },
  openapi: true,
});
