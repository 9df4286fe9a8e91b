import { Controller, DynamicModule, Module, Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { APP_CONFIG, AppConfig, Clock } from '@fg/common';
import { Channel, CloudEvent, DispatchRequested, dispatchTopicFor } from '@fg/contracts';
import { InvitesModule } from '@fg/invites';
import { LinkIssuer, LinksModule } from '@fg/links';
import { SandboxMessageRepository } from '@fg/persistence';
import { BatchContext } from '@fg/messaging';
import { ChannelSenderService, SENDER_CHANNEL } from './channel-sender.service';
import { DeliveryScheduler } from './delivery-scheduler';
import { SendReconciler } from './send-reconciler';
import { ChannelProvider } from './messages';
import { SandboxProvider } from './providers/sandbox.provider';
import { SandboxReceiptSimulator } from './providers/sandbox-receipts';
import { SendGridEmailProvider } from './providers/sendgrid.provider';
import { TwilioProvider } from './providers/twilio.provider';

/**
 * Consumes `dispatch.<channel>`: a thin adapter onto the channel's sender. One controller class per channel (an
 * `@EventPattern` names its topic when the class is declared), made once.
 */
const dispatchConsumers = new Map<Channel, Type<unknown>>();
export function dispatchConsumerFor(channel: Channel): Type<unknown> {
  let consumer = dispatchConsumers.get(channel);
  if (!consumer) {
    @Controller()
    class DispatchConsumer {
      constructor(private readonly sender: ChannelSenderService) {}

      @EventPattern(topicKeyOf(channel), { consumer: `sender-${channel}` })
      async dispatch(@Payload() events: CloudEvent<DispatchRequested>[], @Ctx() ctx: BatchContext) {
        await this.sender.prepare(
          ctx.em,
          events.map((event) => ({ event, correlationId: event.correlationid ?? event.id })),
          ctx.afterCommit,
        );
      }
    }
    Object.defineProperty(DispatchConsumer, 'name', { value: `DispatchConsumer_${channel}` });
    consumer = DispatchConsumer;
    dispatchConsumers.set(channel, consumer);
  }
  return consumer;
}

const topicKeyOf = (channel: Channel): string => dispatchTopicFor[channel];

function providerFor(
  channel: Channel,
  cfg: AppConfig,
  sandbox: SandboxMessageRepository,
  issuer: LinkIssuer,
  clock: Clock,
): ChannelProvider {
  if (cfg.CHANNEL_PROVIDERS === 'sandbox')
    return new SandboxProvider(channel, sandbox, (text) => issuer.refsOf(text), {
      receipts: cfg.SANDBOX_RECEIPTS === 'simulate',
      now: () => clock.now(),
    });
  if (channel === 'email')
    return new SendGridEmailProvider({ apiKey: cfg.SENDGRID_API_KEY, baseUrl: cfg.SENDGRID_API_BASE_URL });
  return new TwilioProvider(channel, {
    accountSid: cfg.TWILIO_ACCOUNT_SID,
    authToken: cfg.TWILIO_AUTH_TOKEN,
    baseUrl: cfg.TWILIO_API_BASE_URL,
    statusCallbackBase: cfg.PUBLIC_BASE_URL,
  });
}

/** A channel's sender app: the provider adapter (live or sandbox), the sender, its consumer and reconciler. */
@Module({})
export class SenderModule {
  static forChannel(channel: Channel): DynamicModule {
    return {
      module: SenderModule,
      imports: [InvitesModule, LinksModule],
      controllers: [dispatchConsumerFor(channel)],
      providers: [
        { provide: SENDER_CHANNEL, useValue: channel },
        {
          provide: ChannelProvider,
          inject: [APP_CONFIG, SandboxMessageRepository, LinkIssuer, Clock],
          useFactory: (cfg: AppConfig, sandbox: SandboxMessageRepository, issuer: LinkIssuer, clock: Clock) =>
            providerFor(channel, cfg, sandbox, issuer, clock),
        },
        ChannelSenderService,
        SendReconciler,
        DeliveryScheduler,
        SandboxReceiptSimulator,
      ],
      exports: [ChannelSenderService, SendReconciler, DeliveryScheduler, SandboxReceiptSimulator],
    };
  }
}
