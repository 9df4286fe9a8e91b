import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { CloudEvent, TopicKey, Topics } from '@fg/contracts';
import { BatchContext } from './consumer-runner';
import { MessagingService } from './messaging.module';

/** What `@EventPattern(topic, { consumer })` carries besides the topic. */
export interface ConsumerExtras {
  /** The consumer group (prefixed like topics) and inbox scope: one per app and topic. */
  consumer: string;
  /**
   * The handler makes a redelivered event a no-op by itself (say, a unique key on the event id), so no inbox entry
   * is kept for it. Only for handlers whose every write is keyed that way.
   */
  idempotent?: boolean;
}

/**
 * Each app is a Nest microservice served by this strategy: its handlers are `@EventPattern(topicKey, { consumer })`
 * methods on controllers, e.g.
 *
 *     @EventPattern('caseEvents', { consumer: 'rules' })
 *     handle(@Payload() events: CloudEvent<CaseEventData>[], @Ctx() ctx: BatchContext) { … }
 *
 * A handler gets the not-yet-handled events of a chunk, in partition order, inside one transaction (`ctx.em`);
 * the consumer runner behind it keeps batches, the inbox, the outbox and dead letters exactly as before, and
 * retries a failed chunk one event at a time (a chunk of one). kafkajs stays behind the transport port.
 */
export class MessagingStrategy extends Server implements CustomTransportStrategy {
  constructor(private readonly messaging: MessagingService) {
    super();
  }

  listen(callback: (err?: unknown) => void) {
    try {
      for (const [pattern, first] of this.getHandlers()) {
        if (!(pattern in Topics))
          throw new Error(`@EventPattern('${pattern}'): not a topic of the contracts`);
        for (let h: MessageHandler | undefined = first; h; h = h.next) this.register(pattern as TopicKey, h);
      }
    } catch (e) {
      callback(e);
      return;
    }
    this.messaging.start().then(
      () => callback(),
      (e: unknown) => callback(e),
    );
  }

  private register(topic: TopicKey, handler: MessageHandler) {
    const extras = handler.extras as Partial<ConsumerExtras> | undefined;
    if (!handler.isEventHandler || !extras?.consumer)
      throw new Error(`handlers of ${topic} must be @EventPattern('${topic}', { consumer: '<group>' })`);
    const invoke = async (events: CloudEvent[], ctx: BatchContext) => {
      const result: unknown = await handler(events, ctx);
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    };
    this.messaging.register(extras.consumer, {
      topic,
      idempotent: extras.idempotent === true,
      handle: (event, ctx) => invoke([event], ctx),
      handleBatch: (events, ctx) => invoke(events, ctx),
    });
  }

  /** Consumers are stopped with the application (MessagingService's shutdown hook). */
  close() {}

  on(): never {
    throw new Error('MessagingStrategy has no events to listen to');
  }

  unwrap<T>(): T {
    return this.messaging as T;
  }
}
