import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Metrics } from '@fg/common';
import { mediumDataSource } from '../../../test/support/medium';
import { eventually } from '../../../test/support/eventually';
import { MessagingOptions, TopicNames } from './options';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository, PendingOutboxRow } from './outbox.repository';
import { OutboxService } from './outbox.service';
import { MessageTransport, TransportRecord } from './transport';
import { UnitOfWork } from './unit-of-work';

/**
 * The relay on Postgres with a recording transport: what committed transactions hand over goes out at once without
 * reading the table back, and what they could not hand over (a crash between commit and hand-off, another
 * instance's rows) is found by the poll, each row published once.
 */
describe('OutboxRelay on Postgres', () => {
  let ds: DataSource;
  const published: TransportRecord[] = [];
  let failing = false;
  let attempts = 0;
  const transport = {
    name: 'kafka',
    publish: async (records: TransportRecord[]) => {
      attempts++;
      if (failing) throw new Error('broker unavailable');
      published.push(...records);
    },
  } as unknown as MessageTransport;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    ds = await mediumDataSource(4);
  });
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await ds?.destroy();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    failing = false;
  });

  function setup(outboxPollMs: number) {
    const opts: MessagingOptions = {
      app: `relay-${randomUUID()}`,
      topicPrefix: '',
      maxRetries: 1,
      outboxPollMs,
      inboxRetentionHours: 1,
    };
    const outbox = new OutboxService(opts, new TopicNames(''), ds);
    const relay = new OutboxRelay(opts, ds, transport, new Metrics('medium'));
    relays.push(relay);
    const add = (em: EntityManager, key: string) =>
      outbox.add(em, {
        topic: 'caseFieldUpdates',
        key,
        data: { caseId: key, field: 'survey_link', value: 'fg-link:1', reason: 'rule_action' },
      });
    /** A committed transaction whose rows never reach the relay (the process died right after the commit). */
    const commitWithoutHandOff = async (key: string): Promise<PendingOutboxRow[]> => {
      let rows: PendingOutboxRow[] = [];
      await ds.transaction(async (em) => {
        outbox.begin(em);
        add(em, key);
        rows = await outbox.flush(em);
      });
      return rows;
    };
    const left = async () =>
      (await ds.query(`SELECT count(*)::int AS n FROM outbox WHERE origin = $1`, [opts.app]))[0].n as number;
    return { relay, outbox, uow: new UnitOfWork(ds, outbox, relay), add, commitWithoutHandOff, left };
  }
  const keysOut = (prefix: string) => published.map((r) => r.key).filter((k) => k?.startsWith(prefix));

  it('publishes what committed transactions hand over at once, in the order written, without reading it back', async () => {
    const { relay, uow, add, left } = setup(60_000);
    const polls = jest.spyOn(OutboxRepository.prototype, 'pending');
    relay.start();
    await eventually(() => expect(polls).toHaveBeenCalledTimes(1)); // the poll at start
    const p = `a-${randomUUID()}-`;
    for (let i = 0; i < 5; i++) await uow.run(async (em) => void add(em, `${p}${i}`));
    await eventually(() => expect(keysOut(p)).toHaveLength(5));
    expect(keysOut(p)).toEqual([0, 1, 2, 3, 4].map((i) => `${p}${i}`));
    expect(polls).toHaveBeenCalledTimes(1);
    await eventually(async () => expect(await left()).toBe(0));
  });

  it('publishes a raw record (a redriven dead letter) exactly as it was, binary and empty values included', async () => {
    const { relay, outbox, uow } = setup(60_000);
    relay.start();
    const p = `raw-${randomUUID()}-`;
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x7b]);
    await uow.run(async (em) => {
      outbox.addRecord(em, {
        topic: 'case.events',
        key: `${p}text`,
        value: Buffer.from('{not json'),
        headers: { a: '1' },
      });
      outbox.addRecord(em, { topic: 'case.events', key: `${p}binary`, value: binary, headers: {} });
      outbox.addRecord(em, { topic: 'case.events', key: `${p}none`, value: null, headers: { b: '2' } });
    });
    await eventually(() => expect(keysOut(p)).toHaveLength(3));
    const out = new Map(published.filter((r) => r.key?.startsWith(p)).map((r) => [r.key, r]));
    expect(out.get(`${p}text`)).toMatchObject({ topic: 'case.events', headers: { a: '1' } });
    expect(out.get(`${p}text`)!.value!.toString('utf8')).toBe('{not json');
    expect(out.get(`${p}binary`)!.value!.equals(binary)).toBe(true);
    expect(out.get(`${p}binary`)!.headers).toEqual({});
    expect(out.get(`${p}none`)).toMatchObject({ value: null, headers: { b: '2' } });
  });

  it('finds by polling a committed row that was never handed over', async () => {
    const { relay, commitWithoutHandOff, left } = setup(100);
    const p = `b-${randomUUID()}-`;
    relay.start();
    await commitWithoutHandOff(`${p}0`);
    await eventually(() => expect(keysOut(p)).toEqual([`${p}0`]));
    await eventually(async () => expect(await left()).toBe(0));
  });

  it('publishes a row once when a poll found it before its hand-off arrived', async () => {
    const { relay, uow, add, commitWithoutHandOff } = setup(60_000);
    const p = `c-${randomUUID()}-`;
    const late = await commitWithoutHandOff(`${p}0`);
    relay.start(); // its first poll publishes the row
    await eventually(() => expect(keysOut(p)).toEqual([`${p}0`]));
    relay.handOff(late); // the hand-off of the same row, late
    await uow.run(async (em) => void add(em, `${p}1`));
    await eventually(() => expect(keysOut(p)).toContain(`${p}1`));
    expect(keysOut(p)).toEqual([`${p}0`, `${p}1`]);
  });

  it('loses nothing when publishing fails: the rows go out once the broker is back', async () => {
    const { relay, uow, add, left } = setup(50);
    const p = `d-${randomUUID()}-`;
    relay.start();
    failing = true;
    const before = attempts;
    await uow.run(async (em) => void add(em, `${p}0`));
    await eventually(() => expect(attempts).toBeGreaterThan(before));
    expect(keysOut(p)).toEqual([]);
    failing = false;
    await eventually(() => expect(keysOut(p)).toEqual([`${p}0`]));
    await eventually(async () => expect(await left()).toBe(0));
  });

  it('on stop, publishes what was handed over and deletes what was published', async () => {
    const { relay, uow, add, left } = setup(60_000);
    const p = `e-${randomUUID()}-`;
    relay.start();
    await uow.run(async (em) => void add(em, `${p}0`));
    await relay.stop();
    expect(keysOut(p)).toEqual([`${p}0`]);
    expect(await left()).toBe(0);
  });
});
