import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Metrics } from '@fg/common';
import { CloudEvent } from '@fg/contracts';
import { linkIssuedEvent } from '../../../test/support/kafka';
import { mediumDataSource, outboxFor } from '../../../test/support/medium';
import { ConsumerRunner, EventHandler } from './consumer-runner';
import { OutboxService } from './outbox.service';
import { DeadLetters } from './dead-letters';
import { ConsumedRecord, MessageTransport } from './transport';

describe('ConsumerRunner on Postgres: the inbox', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  function runner(consumer: string, idempotent: boolean, seen: string[]) {
    const handler: EventHandler<'linkIssued'> = {
      topic: 'linkIssued',
      idempotent,
      handle: (e) => {
        seen.push(e.id);
        return Promise.resolve();
      },
      handleBatch: (events: CloudEvent[]) => {
        seen.push(...events.map((e) => e.id));
        return Promise.resolve();
      },
    };
    return build(consumer, handler, outboxFor(ds), 1);
  }

  /** A runner of `handler` on a link.issued consumer, with a transport that accepts everything. */
  function build(
    consumer: string,
    handler: EventHandler<'linkIssued'>,
    outbox: OutboxService,
    maxRetries: number,
  ) {
    const transport = { publish: () => Promise.resolve() } as unknown as MessageTransport;
    const metrics = new Metrics('medium');
    return new ConsumerRunner(consumer, consumer, 'link.issued', handler, {
      ds,
      outbox,
      transport,
      metrics,
      deadLetters: new DeadLetters(ds, transport, metrics),
      maxRetries,
      afterCommit: () => undefined,
      sleep: () => Promise.resolve(),
    });
  }

  const record = (id: string): ConsumedRecord => ({
    topic: 'link.issued',
    partition: 0,
    offset: '1',
    key: 'case-1',
    headers: { 'content-type': 'application/cloudevents+json' },
    value: Buffer.from(JSON.stringify(linkIssuedEvent(id, 'case-1'))),
  });

  const inboxRows = async (consumer: string) =>
    Number(
      (await ds.query<{ n: string }[]>(`SELECT count(*) AS n FROM inbox WHERE consumer = $1`, [consumer]))[0]
        .n,
    );

  it('a redelivered event reaches an ordinary handler once (the inbox keeps its id)', async () => {
    const consumer = `medium-${randomUUID()}`;
    const seen: string[] = [];
    const r = runner(consumer, false, seen);
    const id = randomUUID();
    await r.onBatch([record(id)]);
    await r.onBatch([record(id)]);
    expect(seen).toEqual([id]);
    expect(await inboxRows(consumer)).toBe(1);
  });

  it('an idempotent handler gets no inbox row (its own unique key absorbs a redelivery)', async () => {
    const consumer = `medium-${randomUUID()}`;
    const seen: string[] = [];
    const r = runner(consumer, true, seen);
    const id = randomUUID();
    await r.onBatch([record(id)]);
    await r.onBatch([record(id)]);
    expect(seen).toEqual([id, id]);
    expect(await inboxRows(consumer)).toBe(0);
  });

  describe('an idempotent consumer opens a transaction only when it writes', () => {
    const statements: string[] = [];
    beforeEach(() => {
      statements.length = 0;
      const qr = ds.createQueryRunner();
      const proto = Object.getPrototypeOf(qr) as {
        query: (q: string, ...rest: unknown[]) => Promise<unknown>;
      };
      void qr.release();
      const query = proto.query;
      jest.spyOn(proto, 'query').mockImplementation(function (this: unknown, q: string, ...rest: unknown[]) {
        statements.push(q);
        return query.call(this, q, ...rest);
      });
    });
    afterEach(() => jest.restoreAllMocks());

    function writing(consumer: string, write: (em: EntityManager, e: CloudEvent) => Promise<void>) {
      const outbox = outboxFor(ds);
      const handler: EventHandler<'linkIssued'> = {
        topic: 'linkIssued',
        idempotent: true,
        handle: (e, ctx) => write(ctx.em, e),
        handleBatch: async (events, ctx) => {
          for (const e of events) await write(ctx.em, e);
        },
      };
      return { outbox, runner: build(consumer, handler, outbox, 0) };
    }
    const outboxRows = async (key: string) =>
      Number(
        (await ds.query<{ n: string }[]>(`SELECT count(*) AS n FROM outbox WHERE key = $1`, [key]))[0].n,
      );

    it('sends no statement at all for a batch with nothing to write', async () => {
      const seen: string[] = [];
      await runner(`medium-${randomUUID()}`, true, seen).onBatch([record(randomUUID())]);
      expect(seen).toHaveLength(1);
      expect(statements).toEqual([]);
    });

    it('writes what it adds in one transaction', async () => {
      const key = `lazy-${randomUUID()}`;
      const { outbox, runner: r } = writing(`medium-${randomUUID()}`, async (em) => {
        outbox.add(em, {
          topic: 'caseFieldUpdates',
          key,
          data: { caseId: key, field: 'survey_link', value: 'fg-link:1', reason: 'rule_action' },
        });
      });
      await r.onBatch([record(randomUUID())]);
      expect(await outboxRows(key)).toBe(1);
      expect(statements.filter((q) => q === 'START TRANSACTION')).toHaveLength(1);
      expect(statements.filter((q) => q === 'COMMIT')).toHaveLength(1);
    });

    it('rolls back what it wrote when the handler fails afterwards', async () => {
      const key = `lazy-${randomUUID()}`;
      const { outbox, runner: r } = writing(`medium-${randomUUID()}`, async (em) => {
        outbox.add(em, {
          topic: 'caseFieldUpdates',
          key,
          data: { caseId: key, field: 'survey_link', value: 'fg-link:1', reason: 'rule_action' },
        });
        await outbox.flush(em); // written in the transaction…
        throw new Error('handler failed after writing'); // …which then fails
      });
      await r.onBatch([record(randomUUID())]);
      expect(await outboxRows(key)).toBe(0);
      expect(statements).toContain('ROLLBACK');
    });
  });
});
