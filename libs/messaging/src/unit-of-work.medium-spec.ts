import { DataSource } from 'typeorm';
import { OutboxRelay } from './outbox-relay';
import { OutboxService } from './outbox.service';
import { PendingOutboxRow } from './outbox.repository';
import { UnitOfWork } from './unit-of-work';
import { mediumDataSource, outboxFor } from '../../../test/support/medium';

describe('UnitOfWork on Postgres', () => {
  let ds: DataSource;
  let outbox: OutboxService;
  const handed: PendingOutboxRow[][] = [];
  let sut: UnitOfWork;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    outbox = outboxFor(ds);
    sut = new UnitOfWork(ds, outbox, {
      handOff: (rows: PendingOutboxRow[]) => rows.length && handed.push(rows),
    } as unknown as OutboxRelay);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const event = (caseId: string) => ({
    topic: 'caseFieldUpdates' as const,
    key: caseId,
    data: {
      caseId,
      field: 'survey_link',
      value: 'https://s.example.test/s/x',
      reason: 'rule_action' as const,
    },
  });
  const rowsFor = async (caseId: string) =>
    (await ds.query(`SELECT count(*)::int AS n FROM outbox WHERE key = $1`, [caseId]))[0].n as number;

  it('writes the events added in it before commit and hands those rows to the relay once after', async () => {
    const before = handed.length;
    const ids: string[] = [];
    await sut.run(async (em) => {
      ids.push(outbox.add(em, event('uow-1')));
      ids.push(outbox.add(em, event('uow-1')));
    });
    expect(await rowsFor('uow-1')).toBe(2);
    expect(handed).toHaveLength(before + 1);
    // The rows as stored (their ids, in the order written), so the relay publishes them without reading them back.
    const stored: { id: string }[] = await ds.query(
      `SELECT id::text AS id FROM outbox WHERE key = 'uow-1' ORDER BY id`,
    );
    expect(handed[before].map((r) => r.id)).toEqual(stored.map((r) => r.id));
    expect(handed[before].map((r) => r.headers.ce_id)).toEqual(ids);
    await sut.run(async () => undefined);
    expect(handed).toHaveLength(before + 1); // nothing written, nothing handed over
  });

  it('writes nothing when the work fails', async () => {
    await expect(
      sut.run(async (em) => {
        outbox.add(em, event('uow-2'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await rowsFor('uow-2')).toBe(0);
  });

  it('refuses an outbox add in a transaction of its own instead of silently losing the event', async () => {
    await expect(
      ds.transaction(async (em) => {
        outbox.add(em, event('uow-3'));
      }),
    ).rejects.toThrow('outside a unit of work');
    expect(await rowsFor('uow-3')).toBe(0);
  });
});
