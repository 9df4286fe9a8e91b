import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Metrics } from '@fg/common';
import { CloudEvent } from '@fg/contracts';
import { linkIssuedEvent } from '../../../test/support/kafka';
import { mediumDataSource, outboxFor } from '../../../test/support/medium';
import { ConsumerRunner, EventHandler } from './consumer-runner';
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
    const transport = { publish: () => Promise.resolve() } as unknown as MessageTransport;
    const metrics = new Metrics('medium');
    return new ConsumerRunner(consumer, consumer, 'link.issued', handler, {
      ds,
      outbox: outboxFor(ds),
      transport,
      metrics,
      deadLetters: new DeadLetters(ds, transport, metrics),
      maxRetries: 1,
      afterCommit: () => undefined,
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
});
