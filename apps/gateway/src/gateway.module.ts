import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import helmet from 'helmet';
import { OPS_SURFACE_AUTH } from '@fg/common';
import { InvitesModule } from '@fg/invites';
import { LinksModule } from '@fg/links';
import { ResponsesModule } from '@fg/responses';
import { SurveyStateService } from '@fg/rules-core';
import { AnalyticsController } from './analytics/analytics.controller';
import { AnalyticsService } from './analytics/analytics.service';
import { FunnelMetrics } from './analytics/funnel-metrics';
import { AccessService } from './auth/access.service';
import { consoleMiddleware } from './console/console.middleware';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysController, MeController } from './auth/api-keys.controller';
import { ApiKeyService } from './auth/api-key.service';
import { ApiKeyOpsSurfaceAuth } from './auth/ops-surface.auth';
import { CaseEventsController } from './events/case-events.controller';
import { LandingController, PageAssetsController, UnsubscribeController } from './landing/landing.controller';
import { UnsubscribeService } from './landing/unsubscribe.service';
import { Messages } from './landing/i18n';
import { LandingService } from './landing/landing.service';
import { ResponseReportsConsumer } from './landing/response-reports.consumer';
import { OpsController } from './ops/ops.controller';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { OutboundWebhooksConsumer } from './outbound-webhooks/outbound-webhooks.consumer';
import { OutboundWebhooksController } from './outbound-webhooks/outbound-webhooks.controller';
import { OutboundWebhooksService } from './outbound-webhooks/outbound-webhooks.service';
import { WebhookDispatcher } from './outbound-webhooks/webhook-dispatcher';
import { DeliveryReceiptsConsumer } from './receipts/delivery-receipts.consumer';
import { ChannelToolsService } from './channels/channel-tools.service';
import { DistributionChannelsController, SuppressionsController } from './channels/channels.controller';
import { DistributionsController } from './distributions/distributions.controller';
import { IdempotencyService } from './links/idempotency.service';
import { LinksController } from './links/links.controller';
import { ResponsesController } from './responses/responses.controller';
import { RulesAdminService } from './rules/rules-admin.service';
import { RuleEvaluationsController, RulesController } from './rules/rules.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

/** Ops REST, provider webhooks, public link pages, and the consumer that turns receipts into invite statuses. */
@Module({
  imports: [InvitesModule, LinksModule, ResponsesModule],
  controllers: [
    DeliveryReceiptsConsumer,
    ResponseReportsConsumer,
    ApiKeysController,
    MeController,
    OpsController,
    AnalyticsController,
    DeadLettersController,
    OutboundWebhooksConsumer,
    OutboundWebhooksController,
    RulesController,
    RuleEvaluationsController,
    ResponsesController,
    DistributionsController,
    LinksController,
    DistributionChannelsController,
    SuppressionsController,
    CaseEventsController,
    WebhooksController,
    LandingController,
    PageAssetsController,
    UnsubscribeController,
  ],
  providers: [
    ApiKeyService,
    AccessService,
    ApiKeyGuard,
    RulesAdminService,
    AnalyticsService,
    FunnelMetrics,
    SurveyStateService,
    ChannelToolsService,
    IdempotencyService,
    LandingService,
    UnsubscribeService,
    // The respondents' message catalogs, read once (pages, unsubscribe, SMS keyword replies).
    { provide: Messages, useFactory: () => Messages.load() },
    WebhooksService,
    DeadLettersService,
    OutboundWebhooksService,
    WebhookDispatcher,
    { provide: OPS_SURFACE_AUTH, useClass: ApiKeyOpsSurfaceAuth },
  ],
  exports: [ApiKeyService],
})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    // Survey pages: the token is in the URL, so nothing may leak it (no Referer, no framing, no foreign script).
    consumer.apply(helmet(LANDING_HELMET)).forRoutes(LandingController, UnsubscribeController);
    // The operator console (a single-page app on the ops REST) and `/` leading to it.
    consumer
      .apply(helmet(CONSOLE_HELMET), consoleMiddleware())
      .forRoutes(
        { path: '/', method: RequestMethod.GET },
        { path: 'console{/*path}', method: RequestMethod.GET },
      );
  }
}

/** Headers of the public survey pages (see the README's security section). */
export const LANDING_HELMET: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'none'"],
      // the open beacon (/p/opened.js) and its POST, nothing else
      'script-src': ["'self'"],
      'connect-src': ["'self'"],
      'style-src': ["'unsafe-inline'"],
      'img-src': ["'self'", 'https:', 'data:'],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: { maxAge: 31536000 },
  crossOriginResourcePolicy: { policy: 'same-origin' },
};

/** Headers of the console: its own scripts only, talking to this origin only, never framed. */
export const CONSOLE_HELMET: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      // charts set inline style attributes
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'self'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
};
