import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  BeforeApplicationShutdown,
  Module,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, HealthChecks, Metrics } from '@fg/common';
import { TopicKey } from '@fg/contracts';
import { ConsumerRunner, EventHandler } from './consumer-runner';
import { DeadLetters } from './dead-letters';
import { InProcessTransport } from './in-process.transport';
import { KafkaTransport } from './kafka.transport';
import { MESSAGING_OPTIONS, MessagingOptions, TopicNames } from './options';
import { InboxPruner } from './inbox-pruner';
import { OutboxRelay } from './outbox-relay';
import { OutboxService } from './outbox.service';
import { OutboxRepository } from './outbox.repository';
import { MessageTransport } from './transport';
import { UnitOfWork } from './unit-of-work';

/**
 * Runs the app's consumers (registered by the MessagingStrategy from its `@EventPattern` handlers), the outbox
 * relay and the inbox pruner.
 */
@Injectable()
export class MessagingService implements BeforeApplicationShutdown {
  private readonly log = new Logger('Messaging');
  private readonly handlers: { consumer: string; handler: EventHandler }[] = [];

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly opts: MessagingOptions,
    private readonly transport: MessageTransport,
    private readonly names: TopicNames,
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelay,
    private readonly ds: DataSource,
    private readonly metrics: Metrics,
    private readonly pruner: InboxPruner,
    private readonly deadLetters: DeadLetters,
    private readonly health: HealthChecks,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  /** `consumer` names the consumer group (prefixed like topics) and the inbox scope. */
  register<K extends TopicKey>(consumer: string, handler: EventHandler<K>) {
    this.handlers.push({ consumer, handler: handler });
  }

  /**
   * Creates the topics, subscribes every registered consumer and starts the outbox relay and the inbox pruner.
   * Called by the MessagingStrategy once Nest has registered the app's `@EventPattern` handlers.
   */
  async start() {
    await this.transport.ensureTopics(this.names.all());
    for (const { consumer, handler } of this.handlers) {
      const runner = new ConsumerRunner(
        consumer,
        this.names.group(consumer),
        this.names.of(handler.topic),
        handler,
        {
          ds: this.ds,
          outbox: this.outbox,
          transport: this.transport,
          metrics: this.metrics,
          deadLetters: this.deadLetters,
          maxRetries: this.opts.maxRetries,
          afterCommit: (rows) => this.relay.handOff(rows),
        },
      );
      await this.transport.subscribe(runner.subscription());
    }
    this.relay.start();
    this.registerHealthChecks();
    this.pruner.start(
      [...new Set(this.handlers.filter((h) => !h.handler.idempotent).map((h) => h.consumer))],
      this.opts.inboxRetentionHours,
    );
    this.log.log(`messaging ready on ${this.transport.name} (${this.handlers.length} consumers)`);
  }

  /**
   * Readiness: the broker answers and every consumer is in its group (down otherwise); consumer lag and the age of
   * the oldest unpublished outbox row past their limits are reported as degraded — the app stays ready, since
   * taking it out of a load balancer would not make it catch up.
   */
  private registerHealthChecks() {
    // Both checks of one probe read the same answer: one metadata request to the broker per probe, not two.
    let shared: { at: number; health: ReturnType<MessageTransport['health']> } | undefined;
    const transportHealth = () => {
      if (!shared || Date.now() - shared.at > 1_000)
        shared = { at: Date.now(), health: this.transport.health() };
      return shared.health;
    };
    this.health.register('messaging', async () => {
      const h = await transportHealth();
      const behind = h.consumers.filter((c) => !c.joined);
      if (!h.up) return { status: 'down', transport: this.transport.name, message: h.message };
      if (behind.length)
        return {
          status: 'down',
          transport: this.transport.name,
          message: `not in their consumer group yet: ${behind.map((c) => c.group).join(', ')}`,
        };
      return { status: 'up', transport: this.transport.name };
    });
    if (this.transport.name === 'kafka')
      this.health.register('consumerLag', async () => {
        const h = await transportHealth();
        const lag = Object.fromEntries(h.consumers.map((c) => [c.group, c.lag ?? null]));
        const over = h.consumers.filter((c) => (c.lag ?? 0) > this.cfg.HEALTH_MAX_CONSUMER_LAG);
        return {
          status: over.length ? 'degraded' : 'up',
          limit: this.cfg.HEALTH_MAX_CONSUMER_LAG,
          lag,
        };
      });
    const outbox = new OutboxRepository();
    this.health.register('outbox', async () => {
      const oldestSeconds = Math.round(await outbox.oldestAgeSeconds(this.ds.manager, this.opts.app));
      return {
        status: oldestSeconds > this.cfg.HEALTH_MAX_OUTBOX_AGE_SECONDS ? 'degraded' : 'up',
        oldestSeconds,
        limit: this.cfg.HEALTH_MAX_OUTBOX_AGE_SECONDS,
      };
    });
  }

  /**
   * A graceful stop, while the database is still open (it closes in the shutdown hooks that follow): consumers
   * finish their batch and leave, then the relay publishes and deletes what they handed over and gives up its lease
   * (so the next instance publishes at once), then the producer disconnects.
   */
  async beforeApplicationShutdown() {
    this.pruner.stop();
    await this.transport.stopConsuming();
    await this.relay.stop();
    await this.transport.close();
  }
}

export interface MessagingModuleOptions {
  app: string;
  /** Embedded mode passes its in-process transport; otherwise Kafka from KAFKA_BROKERS. */
  transport?: MessageTransport;
}

@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: MESSAGING_OPTIONS,
          inject: [APP_CONFIG],
          useFactory: (cfg: AppConfig): MessagingOptions => ({
            app: options.app,
            topicPrefix: cfg.KAFKA_TOPIC_PREFIX,
            maxRetries: cfg.CONSUMER_MAX_RETRIES,
            outboxPollMs: cfg.OUTBOX_POLL_MS,
            inboxRetentionHours: cfg.INBOX_RETENTION_HOURS,
          }),
        },
        {
          provide: MessageTransport,
          inject: [APP_CONFIG],
          useFactory: (cfg: AppConfig): MessageTransport => {
            if (options.transport) return options.transport;
            if (!cfg.KAFKA_BROKERS) return new InProcessTransport();
            return new KafkaTransport({
              brokers: cfg.KAFKA_BROKERS,
              clientId: `${cfg.KAFKA_CLIENT_ID}-${options.app}`,
              partitions: cfg.KAFKA_PARTITIONS,
              sessionTimeoutMs: cfg.KAFKA_SESSION_TIMEOUT_MS,
              heartbeatIntervalMs: cfg.KAFKA_HEARTBEAT_INTERVAL_MS,
              commitIntervalMs: cfg.KAFKA_COMMIT_INTERVAL_MS,
            });
          },
        },
        {
          provide: TopicNames,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingOptions) => new TopicNames(o.topicPrefix),
        },
        OutboxService,
        OutboxRelay,
        InboxPruner,
        MessagingService,
        UnitOfWork,
        {
          provide: DeadLetters,
          inject: [DataSource, MessageTransport, Metrics],
          useFactory: (ds: DataSource, t: MessageTransport, m: Metrics) => new DeadLetters(ds, t, m),
        },
      ],
      exports: [
        DeadLetters,
        MessagingService,
        UnitOfWork,
        InboxPruner,
        OutboxService,
        TopicNames,
        MessageTransport,
        MESSAGING_OPTIONS,
      ],
    };
  }
}
