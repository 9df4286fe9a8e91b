import { DataSource, EntityManager } from 'typeorm';
import { historyId, insertHistory, seedRule } from '../../../../test/support/history';
import { mediumDataSource, seedDistribution } from '../../../../test/support/medium';
import { CaseRepository } from './case.repository';
import { InviteRepository } from './invite.repository';
import type { InviteEntity } from '../entities';
import { RuleRunRepository, StoredRun } from './rule-run.repository';

const ROWS = 20_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
const scans = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(scans)];

/**
 * The set-based statements of a batch (one statement for all its rows) must find their rows by index: the planner
 * assumes a JSON record set holds 100 rows and, without being told the ids, hashes the whole table — a cost that
 * grows with every case ever handled. Checked on the plan Postgres makes for the statement each repository sends,
 * with 20 000 existing rows (inserted in the test's transaction and rolled back).
 */
describe('batch statements use an index however big the table (growth)', () => {
  let ds: DataSource;
  let distributionId: string;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    ({ distributionId } = await seedDistribution(ds));
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  /** Runs `work` on a manager that records its statements, then returns the plan of the UPDATE it sent. */
  async function planOf(
    table: string,
    work: (em: EntityManager, ids: { n: number }) => Promise<unknown>,
    statement = new RegExp(`^UPDATE ${table} `),
  ) {
    const rollback = new Error('rollback');
    let plan: PlanNode | undefined;
    await ds
      .transaction(async (em) => {
        await insertHistory(em, { distributionId, ruleId: await seedRule(em) }, 1, ROWS);
        const sent: [string, unknown[]][] = [];
        const recording = new Proxy(em, {
          get: (target, key) =>
            key === 'query'
              ? (sql: string, params: unknown[]) => {
                  sent.push([sql, params]);
                  return target.query(sql, params);
                }
              : (target[key as keyof EntityManager] as unknown),
        });
        await work(recording, { n: 3 });
        const [sql, params] = sent.find(([s]) => statement.test(s.trimStart()))!;
        const [row] = await em.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }[]>(
          `EXPLAIN (FORMAT JSON) ${sql}`,
          params,
        );
        plan = row['QUERY PLAN'][0].Plan;
        throw rollback;
      })
      .catch((e: unknown) => {
        if (e !== rollback) throw e;
      });
    return scans(plan!)
      .filter((n) => n['Relation Name'] === table)
      .map((n) => n['Node Type']);
  }

  it('cases: custom fields merged into the cases of a batch', async () => {
    const nodes = await planOf('cases', (em) =>
      new CaseRepository(ds).patchCustomFields(
        em,
        [1, 2, 3].map((g) => ({ id: `old-${g}`, patch: { link: 'x' } })),
      ),
    );
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes).not.toContain('Seq Scan');
  });

  it('invites: statuses of a batch', async () => {
    const nodes = await planOf('invites', async (em) => {
      const invites: InviteEntity[] = [];
      for (const g of [1, 2, 3])
        invites.push({
          id: historyId('invite', g),
          status: 'Invite Sent',
          deliveryStatus: 'accepted',
          reason: null,
          statusChangedAt: new Date(),
          sentAt: new Date(),
          providerMessageId: `m${g}`,
        } as unknown as InviteEntity);
      await new InviteRepository(ds).saveStatuses(em, invites, new Date());
    });
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes).not.toContain('Seq Scan');
  });

  it('invites: deferred sends of a batch', async () => {
    const nodes = await planOf('invites', async (em) => {
      const rows = [];
      for (const g of [1, 2, 3])
        rows.push({
          id: historyId('invite', g),
          attempt: 1,
          next_attempt_at: new Date(),
          reason: 'PROVIDER_UNAVAILABLE',
        });
      await new InviteRepository(ds).defer(em, rows, new Date());
    });
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes).not.toContain('Seq Scan');
  });

  it('rule runs: progress of a batch', async () => {
    const nodes = await planOf('rule_runs', async (em) => {
      const runs: StoredRun<unknown>[] = [];
      for (const g of [1, 2, 3])
        runs.push({
          id: historyId('run', g),
          status: 'completed',
          nextStep: 1,
          waitingActionId: null,
          steps: [],
        } as unknown as StoredRun<unknown>);
      await new RuleRunRepository(ds).saveProgress(em, runs, new Date());
    });
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes).not.toContain('Seq Scan');
  });

  it('invites: the invite each action of a batch already made (was: a scan of the whole table per batch)', async () => {
    const nodes = await planOf(
      'invites',
      async (em) => {
        const ids = [];
        for (const g of [1, 2, 3]) ids.push(historyId('action', g));
        const found = await new InviteRepository(ds).byActions(em, ids);
        expect(found.size).toBe(3);
      },
      /^SELECT id, action_id FROM invites/,
    );
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes).not.toContain('Seq Scan');
  });
});
