import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
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
        const ruleId = randomUUID();
        await em.query(
          `INSERT INTO rules (id, name, trigger, conditions, actions) VALUES ($1, 'r', 'case.updated', '{"all":[]}', '[]')`,
          [ruleId],
        );
        await em.query(`INSERT INTO cases (id) SELECT 'growth-' || g FROM generate_series(1, $1::int) g`, [
          ROWS,
        ]);
        await em.query(
          `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language)
           SELECT md5('gl' || g)::uuid, $2, 'growth-' || g, md5('gh' || g), '\\x00', '{}', 'en' FROM generate_series(1, $1::int) g`,
          [ROWS, distributionId],
        );
        await em.query(
          `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                                status, delivery_status, attempts)
           SELECT md5('gi' || g)::uuid, md5('ga' || g)::uuid, md5('gl' || g)::uuid, $2, 'growth-' || g, 'email',
                  'invitation', 'en', 'a@example.com', 'Pending', 'sending', 1 FROM generate_series(1, $1::int) g`,
          [ROWS, distributionId],
        );
        await em.query(
          `INSERT INTO rule_runs (id, rule_id, rule_version, case_id, correlation_id, status, steps)
           SELECT md5('gr' || g)::uuid, $2, 1, 'growth-' || g, 'c', 'running', '[]' FROM generate_series(1, $1::int) g`,
          [ROWS, ruleId],
        );
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

  const uuidOf = async (em: EntityManager, prefix: string, g: number) =>
    (await em.query<{ id: string }[]>(`SELECT md5($1 || $2::text)::uuid AS id`, [prefix, g]))[0].id;

  it('cases: custom fields merged into the cases of a batch', async () => {
    const nodes = await planOf('cases', (em) =>
      new CaseRepository(ds).patchCustomFields(
        em,
        [1, 2, 3].map((g) => ({ id: `growth-${g}`, patch: { link: 'x' } })),
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
          id: await uuidOf(em, 'gi', g),
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
          id: await uuidOf(em, 'gi', g),
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
          id: await uuidOf(em, 'gr', g),
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
        for (const g of [1, 2, 3]) ids.push(await uuidOf(em, 'ga', g));
        const found = await new InviteRepository(ds).byActions(em, ids);
        expect(found.size).toBe(3);
      },
      /^SELECT id, action_id FROM invites/,
    );
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes).not.toContain('Seq Scan');
  });
});
