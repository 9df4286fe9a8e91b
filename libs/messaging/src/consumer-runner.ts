import { Logger } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError, QueryRunner } from 'typeorm';
import {
  CloudEvent,
  InvalidMessageError,
  PayloadOf,
  TopicContract,
  TopicKey,
  Topics,
  decodeCloudEvent,
} from '@fg/contracts';
import { DomainError, Metrics, currentCorrelationId, withCorrelation } from '@fg/common';
import { bound, inConsumerSpan } from './tracing';
import { DeadLetters } from './dead-letters';
import { InboxRepository } from './inbox.repository';
import { OutboxService } from './outbox.service';
import { PendingOutboxRow } from './outbox.repository';
import { ConsumedRecord, MessageTransport, Subscription } from './transport';

export interface HandlerContext {
  /** The transaction the inbox record, the handler's writes and its outbox rows commit in together. */
  em: EntityManager;
  record: ConsumedRecord;
  /**
   * Work to do once the transaction has committed (a provider call whose attempt the transaction recorded).
   * Runs before the record's offset is committed; it must handle its own failures.
   */
  afterCommit(effect: () => Promise<void>): void;
}

/**
 * What an app implements to consume a topic. `handle` runs once per message id for this consumer,
 * inside a transaction; events it publishes go through `OutboxService.add(ctx.em, …)`.
 */
export interface EventHandler<K extends TopicKey = TopicKey> {
  readonly topic: K;
  handle(event: CloudEvent<PayloadOf<K>>, ctx: HandlerContext): Promise<void>;
  /**
   * Optional set-based form for throughput: the not-yet-handled events of a chunk, in partition order, in
   * one transaction. Must have the same effect as calling `handle` for each in turn. Events it publishes
   * should carry their own event's correlation id (`OutboxService.add(…, { correlationId })`).
   */
  handleBatch?(events: CloudEvent<PayloadOf<K>>[], ctx: BatchContext): Promise<void>;
  /**
   * The handler's own writes make a redelivered event a no-op (a unique key on the event id), so the runner keeps
   * no inbox entry for it: one row write less per event, on consumers that mostly have nothing to do.
   */
  readonly idempotent?: boolean;
}

export interface BatchContext {
  em: EntityManager;
  afterCommit(effect: () => Promise<void>): void;
}

interface Decoded {
  record: ConsumedRecord;
  event: CloudEvent;
  messageId: string;
}

export interface RunnerDeps {
  ds: DataSource;
  outbox: OutboxService;
  transport: MessageTransport;
  metrics: Metrics;
  deadLetters: DeadLetters;
  maxRetries: number;
  /** Called after a transaction commits, with the outbox rows it wrote (the relay publishes them). */
  afterCommit: (rows: PendingOutboxRow[]) => void;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Decode → dead-letter the malformed → inbox-deduplicate → handle, for one consumer group on one topic.
 * A chunk of records is handled in one transaction for throughput; if that fails, each record is retried on
 * its own with backoff, and a record that still fails goes to `<topic>.dlq` with the reason, so one poison
 * message never stalls its partition. Database connection loss is not the message's fault: it is thrown to
 * the transport, which delivers the records again later.
 */
export class ConsumerRunner<K extends TopicKey> {
  private readonly log: Logger;
  private readonly inbox = new InboxRepository();

  constructor(
    private readonly consumer: string,
    private readonly groupId: string,
    private readonly topicName: string,
    private readonly handler: EventHandler<K>,
    private readonly deps: RunnerDeps,
  ) {
    this.log = new Logger(`Consumer:${consumer}:${Topics[handler.topic].name}`);
  }

  subscription(): Subscription {
    return { groupId: this.groupId, topic: this.topicName, onBatch: (records) => this.onBatch(records) };
  }

  async onBatch(records: ConsumedRecord[]): Promise<void> {
    const end = this.deps.metrics.handlerSeconds.startTimer({ group: this.groupId, topic: this.topicName });
    const good: Decoded[] = [];
    for (const record of records) {
      try {
        const event = decodeCloudEvent(Topics[this.handler.topic] as TopicContract, record);
        good.push({ record, event, messageId: `${event.source}#${event.id}` });
      } catch (e) {
        if (!(e instanceof InvalidMessageError)) throw e;
        await this.deadLetter(record, `invalid message: ${e.message}`, 'INVALID_MESSAGE');
      }
    }
    if (good.length) {
      try {
        await this.handleInOneTransaction(good);
      } catch (e) {
        if (isInfrastructureError(e)) throw e;
        for (const item of good) await this.handleAlone(item);
      }
    }
    end();
  }

  private async handleInOneTransaction(items: Decoded[]) {
    const effects: Effect[] = [];
    let written: PendingOutboxRow[] = [];
    await this.transaction(async (em) => {
      this.deps.outbox.begin(em);
      const fresh = await this.claim(em, items);
      const todo: Decoded[] = [];
      for (const item of items) {
        if (fresh.delete(item.messageId)) todo.push(item);
        else
          this.deps.metrics.consumed.inc({
            group: this.groupId,
            topic: this.topicName,
            outcome: 'duplicate',
          });
      }
      await this.invokeAll(todo, em, effects);
      written = await this.deps.outbox.flush(em);
    });
    this.deps.afterCommit(written);
    await runEffects(effects);
    for (let i = 0; i < items.length; i++)
      this.deps.metrics.consumed.inc({ group: this.groupId, topic: this.topicName, outcome: 'ok' });
  }

  private async handleAlone(item: Decoded) {
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    for (let attempt = 0; ; attempt++) {
      const effects: Effect[] = [];
      try {
        let written: PendingOutboxRow[] = [];
        await this.transaction(async (em) => {
          this.deps.outbox.begin(em);
          const fresh = await this.claim(em, [item]);
          if (fresh.size) await this.invokeAll([item], em, effects);
          written = await this.deps.outbox.flush(em);
        });
        this.deps.afterCommit(written);
        await runEffects(effects);
        return;
      } catch (e) {
        if (isInfrastructureError(e)) throw e;
        const permanent = e instanceof DomainError && !e.retryable;
        if (permanent || attempt >= this.deps.maxRetries) {
          const code = e instanceof DomainError ? e.code : 'HANDLER_FAILED';
          const why = permanent ? 'rejected' : `failed after ${attempt + 1} attempts`;
          await this.deadLetter(item.record, `${why}: ${(e as Error).message}`, code);
          return;
        }
        const backoff = Math.min(5000, 100 * 2 ** attempt);
        await sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }

  private async invokeAll(items: Decoded[], em: EntityManager, effects: Effect[]) {
    if (!items.length) return;
    if (this.handler.handleBatch) {
      const first = items[0].event;
      await inConsumerSpan(
        this.topicName,
        this.groupId,
        items.map((i) => i.event),
        () =>
          withCorrelation(first.correlationid ?? first.id, () =>
            this.handler.handleBatch!(
              items.map((i) => i.event as CloudEvent<PayloadOf<K>>),
              {
                em,
                afterCommit: (fn) =>
                  effects.push({ correlationId: currentCorrelationId() ?? first.id, fn: bound(fn) }),
              },
            ),
          ),
      );
      return;
    }
    for (const item of items) await this.invoke(item, em, effects);
  }

  private invoke(item: Decoded, em: EntityManager, effects: Effect[]) {
    const correlationId = item.event.correlationid ?? item.event.id;
    return inConsumerSpan(this.topicName, this.groupId, [item.event], () =>
      withCorrelation(correlationId, () =>
        this.handler.handle(item.event as CloudEvent<PayloadOf<K>>, {
          em,
          record: item.record,
          afterCommit: (fn) => effects.push({ correlationId, fn: bound(fn) }),
        }),
      ),
    );
  }

  /**
   * The batch's transaction. A consumer that keeps no inbox (idempotent) may have nothing to write at all (most
   * outbound-webhook events match no subscription): its transaction begins with its first statement, so such a
   * batch costs no connection, BEGIN or COMMIT.
   */
  private transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.handler.idempotent ? lazyTransaction(this.deps.ds, work) : this.deps.ds.transaction(work);
  }

  /** Records the message ids as handled; returns those this consumer had not handled before. */
  private async claim(em: EntityManager, items: Decoded[]): Promise<Set<string>> {
    const ids = [...new Set(items.map((i) => i.messageId))];
    if (this.handler.idempotent) return new Set(ids);
    return this.inbox.claim(em, this.consumer, ids);
  }

  private async deadLetter(record: ConsumedRecord, reason: string, code: string) {
    this.deps.metrics.consumed.inc({ group: this.groupId, topic: this.topicName, outcome: 'dead-letter' });
    await this.deps.deadLetters.send({ record, consumer: this.consumer, reason, code });
  }
}

/**
 * A transaction that begins when its first statement is sent (and is committed only if it began). The work sees an
 * ordinary transactional EntityManager; a nested `em.transaction` before any statement becomes the transaction.
 */
export async function lazyTransaction<T>(
  ds: DataSource,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const qr = ds.createQueryRunner();
  const send: QueryRunner['query'] = qr.query.bind(qr);
  let begun = false;
  qr.query = ((...args: Parameters<QueryRunner['query']>) => {
    if (begun || qr.isTransactionActive) {
      begun = true;
      return send(...args);
    }
    begun = true;
    return qr.startTransaction().then(() => send(...args));
  }) as QueryRunner['query'];
  try {
    const result = await work(qr.manager);
    if (qr.isTransactionActive) await qr.commitTransaction();
    return result;
  } catch (e) {
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    throw e;
  } finally {
    await qr.release();
  }
}

interface Effect {
  correlationId: string;
  fn: () => Promise<void>;
}

const EFFECT_CONCURRENCY = 64;

/** Runs post-commit effects, a bounded number at a time, each under its event's correlation id. */
async function runEffects(effects: Effect[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < effects.length) {
      const e = effects[next++];
      await withCorrelation(e.correlationId, e.fn);
    }
  };
  await Promise.all(Array.from({ length: Math.min(EFFECT_CONCURRENCY, effects.length) }, worker));
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
]);

/** The database is unreachable: no message is at fault, so nothing should be dead-lettered. */
export function isInfrastructureError(e: unknown): boolean {
  if (e instanceof DomainError) return false;
  const err = (e instanceof QueryFailedError ? e.driverError : e) as { code?: string; message?: string };
  const code = err?.code ?? '';
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    err?.message ?? '',
  );
}
