import {
  Controller,
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Type,
} from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { APP_CONFIG, AppConfig, Clock } from '@fg/common';
import { Channel, CloudEvent, DispatchRequested, dispatchTopicFor } from '@fg/contracts';
import { InviteStatusService, InvitesModule } from '@fg/invites';
import { InviteRepository, SandboxMessageRepository, inviteFromRow } from '@fg/persistence';
import { BatchContext, UnitOfWork } from '@fg/messaging';
import { ChannelSenderService, SENDER_CHANNEL } from './channel-sender.service';
import { ChannelProvider } from './messages';
import { SandboxProvider } from './providers/sandbox.provider';
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

/**
 * An invite claimed for sending whose provider call never reported back (the process died between the claim
 * and recording the answer) is not sent again: a second message is worse than none. If the provider's
 * receipt arrives (it carries our invite id), it moves the invite as usual; if nothing has arrived after
 * SEND_RECONCILE_AFTER_MINUTES, the invite is marked Failed with reason UNCONFIRMED_SEND so rules and
 * operators see it.
 */
@Injectable()
export class SendReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SendReconciler');
  private handle?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly invites: InviteRepository,
    private readonly uow: UnitOfWork,
    @Inject(SENDER_CHANNEL) private readonly channel: Channel,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly statuses: InviteStatusService,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap() {
    this.handle = setInterval(() => {
      this.running ??= this.reconcile()
        .catch((e: Error) => {
          this.log.error(`reconcile failed: ${e.message}`);
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, 60_000);
  }

  async onModuleDestroy() {
    clearInterval(this.handle);
    await this.running;
  }

  async reconcile(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.cfg.SEND_RECONCILE_AFTER_MINUTES * 60_000);
    const n = await this.uow.run(async (em) => {
      const rows = await this.invites.unconfirmed(em, this.channel, before);
      for (const r of rows)
        await this.statuses.transition(em, inviteFromRow(r), {
          status: 'Failed',
          deliveryStatus: 'failed',
          reason: `UNCONFIRMED_SEND: no answer from the provider was recorded within ${this.cfg.SEND_RECONCILE_AFTER_MINUTES} min of the attempt; not sent again`,
        });
      return rows.length;
    });
    if (n) {
      this.log.warn(`${n} ${this.channel} invite(s) had no recorded provider answer; marked Failed`);
    }
    return n;
  }
}

function providerFor(channel: Channel, cfg: AppConfig, sandbox: SandboxMessageRepository): ChannelProvider {
  if (cfg.CHANNEL_PROVIDERS === 'sandbox') return new SandboxProvider(channel, sandbox);
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
      imports: [InvitesModule],
      controllers: [dispatchConsumerFor(channel)],
      providers: [
        { provide: SENDER_CHANNEL, useValue: channel },
        {
          provide: ChannelProvider,
          inject: [APP_CONFIG, SandboxMessageRepository],
          useFactory: (cfg: AppConfig, sandbox: SandboxMessageRepository) =>
            providerFor(channel, cfg, sandbox),
        },
        ChannelSenderService,
        SendReconciler,
      ],
      exports: [ChannelSenderService, SendReconciler],
    };
  }
}
