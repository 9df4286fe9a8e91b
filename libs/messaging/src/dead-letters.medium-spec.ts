import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Metrics } from '@fg/common';
import { mediumDataSource } from '../../../test/support/medium';
import { DeadLetters } from './dead-letters';
import { MessageTransport, TransportRecord } from './transport';

describe('DeadLetters on Postgres', () => {
  let ds: DataSource;
  const published: TransportRecord[] = [];
  const transport = {
    publish: (records: TransportRecord[]) => {
      published.push(...records);
      return Promise.resolve();
    },
  } as unknown as MessageTransport;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('keeps a message whose key, headers and reason hold NUL characters (Postgres text refuses them)', async () => {
    // A fuzzed case event whose reason quoted a NUL could not be stored, so it was redelivered for ever and its
    // partition stalled behind it.
    const key = `k\u0000${randomUUID()}`;
    await new DeadLetters(ds, transport, new Metrics('medium')).send({
      record: {
        topic: 'case.events',
        key,
        value: Buffer.from('{"specversion":"1.0","id":"\u0000"}'),
        headers: { 'content-type': 'application/cloudevents+json', 'x-\u0000': 'a\u0000b' },
        partition: 0,
        offset: '7',
      },
      consumer: 'rules',
      reason: 'invalid message: id: received "\u0000"',
      code: 'INVALID_MESSAGE',
    });
    const [row]: { record_key: string; reason: string; headers: Record<string, string> }[] = await ds.query(
      `SELECT record_key, reason, headers FROM dead_letters WHERE record_key = $1`,
      [key.replace('\u0000', '\\u0000')],
    );
    expect(row.reason).toBe('invalid message: id: received "\\u0000"');
    expect(row.headers['x-\\u0000']).toBe('a\\u0000b');
    expect(published[0].headers['dlq-reason']).toBe(row.reason);
  });
});
