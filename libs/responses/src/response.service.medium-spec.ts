import { DataSource, EntityManager } from 'typeorm';
import {
  DistributionRepository,
  ResponseRepository,
  SurveyLinkEntity,
  SurveyLinkRepository,
} from '@fg/persistence';
import { OutboxService, UnitOfWork } from '@fg/messaging';
import {
  mediumDataSource,
  outboxFor,
  seedDistribution,
  seedLink,
  unitOfWorkFor,
} from '../../../test/support/medium';
import { ResponseService } from './response.service';
import { addPeriod } from './submission-window';

describe('ResponseService on Postgres', () => {
  let ds: DataSource;
  let outbox: OutboxService;
  let uow: UnitOfWork;
  let links: SurveyLinkRepository;
  let sut: ResponseService;

  beforeAll(async () => {
    ds = await mediumDataSource(12);
    outbox = outboxFor(ds);
    uow = unitOfWorkFor(ds, outbox);
    links = new SurveyLinkRepository(ds);
    sut = new ResponseService(links, new DistributionRepository(ds), new ResponseRepository(ds), outbox);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const tx = <T>(fn: (em: EntityManager) => Promise<T>) => uow.run(fn);
  const link = async (id: string) => (await links.findById(id)) as SurveyLinkEntity;
  const submit = async (id: string, at: Date) =>
    tx(async (em) => sut.answer(em, await link(id), { tags: {} }, 'Completed', { nps: 9 }, at));

  it('counts exactly one of many simultaneous submits at the instant a window resets (limit 1)', async () => {
    const limit = { allowed: 1, reset: { amount: 1, unit: 'months' } };
    const { distributionId } = await seedDistribution(ds, { submissionLimit: limit });
    const started = new Date('2026-01-31T10:00:00Z');
    const resetAt = new Date('2026-02-28T10:00:00Z'); // Postgres and addPeriod agree: Feb 28, not Mar 3
    for (let round = 0; round < 5; round++) {
      const id = await seedLink(ds, distributionId, {
        submissionLimit: limit,
        submissions: 1,
        windowStartedAt: started,
      });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => submit(id, resetAt)));
      expect(outcomes.filter((o) => o.state !== 'used_up')).toHaveLength(1);
      const [row] = await ds.query(`SELECT submissions, window_started_at FROM survey_links WHERE id = $1`, [
        id,
      ]);
      expect(row.submissions).toBe(1);
      expect(new Date(row.window_started_at).toISOString()).toBe(resetAt.toISOString());
      const [{ n }] = await ds.query(
        `SELECT count(*)::int AS n FROM responses WHERE link_id = $1 AND status = 'Completed'`,
        [id],
      );
      expect(n).toBe(1);
    }
  });

  it('refuses a submit one millisecond before the reset, and the page and the statement agree at month ends', async () => {
    const { distributionId } = await seedDistribution(ds);
    for (const [start, amount, unit] of [
      ['2026-01-31T10:00:00Z', 1, 'months'],
      ['2028-02-29T23:30:00Z', 1, 'years'],
      ['2026-03-31T00:00:00Z', 1, 'months'],
      ['2026-08-31T12:00:00Z', 6, 'months'],
      ['2026-12-31T23:59:59Z', 2, 'weeks'],
    ] as const) {
      const limit = { allowed: 1, reset: { amount, unit } };
      const windowStartedAt = new Date(start);
      const reset = addPeriod(windowStartedAt, limit.reset);
      const id = await seedLink(ds, distributionId, {
        submissionLimit: limit,
        submissions: 1,
        windowStartedAt,
      });
      expect(await submit(id, new Date(reset.getTime() - 1))).toEqual({ state: 'used_up' });
      expect((await submit(id, reset)).state).not.toBe('used_up');
    }
  });

  it('moves statuses only forward and publishes each move once, whatever entry point reports it', async () => {
    const { distributionId } = await seedDistribution(ds, { tags: { program: 'csat' } });
    const id = await seedLink(ds, distributionId);
    const at = new Date('2026-05-01T00:00:00Z');
    expect(await tx((em) => sut.report(em, id, 'Survey Opened', at))).toEqual({
      state: 'moved',
      previous: 'Not Started',
    });
    expect(await tx((em) => sut.report(em, id, 'Completed', at))).toEqual({
      state: 'moved',
      previous: 'Survey Opened',
    });
    // Late and duplicated reports change nothing.
    expect(await tx((em) => sut.report(em, id, 'In Progress', at))).toEqual({
      state: 'unchanged',
      current: 'Completed',
    });
    expect(await tx((em) => sut.report(em, id, 'Completed', at))).toEqual({
      state: 'unchanged',
      current: 'Completed',
    });
    expect(await tx((em) => sut.report(em, '00000000-0000-4000-8000-000000000000', 'Completed', at))).toEqual(
      { state: 'unknown_link' },
    );
    const events = await ds.query(
      `SELECT value::jsonb AS data FROM outbox WHERE topic = 'response.status' AND value::jsonb->>'linkId' = $1 ORDER BY id`,
      [id],
    );
    expect(events.map((e: { data: { status: string } }) => e.data.status)).toEqual([
      'Survey Opened',
      'Completed',
    ]);
    // The reported completion is a response like one from our page, with the tags and the link's data.
    const [response] = await ds.query(
      `SELECT status, source, tags, transaction_data FROM responses WHERE link_id = $1`,
      [id],
    );
    expect(response).toEqual({
      status: 'Completed',
      source: 'external',
      tags: { program: 'csat' },
      transaction_data: { customer_name: 'Ada' },
    });
    expect(await new ResponseRepository(ds).countCompleted(distributionId)).toBe(1);
  });
});
