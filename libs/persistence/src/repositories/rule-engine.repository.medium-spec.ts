import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { mediumDataSource } from '../../../../test/support/medium';
import { DeliveryReceiptRepository } from './delivery-receipt.repository';
import { RuleRunRepository } from './rule-run.repository';
import { RuleTimerRepository } from './rule-timer.repository';

describe('the rule engine tables and receipts on Postgres', () => {
  let ds: DataSource;
  const timers = new RuleTimerRepository();

  beforeAll(async () => {
    ds = await mediumDataSource(4);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('lets two instances claim due timers at once without ever firing one twice', async () => {
    const ruleId = randomUUID();
    const due = new Date('2026-03-01T10:00:00Z');
    const rows = Array.from({ length: 10 }, (_, i) => ({
      id: randomUUID(),
      rule_id: ruleId,
      case_id: `timer-case-${i}`,
      due_at: new Date(due.getTime() - i * 1000).toISOString(),
      reason: 'test',
      correlation_id: null,
    }));
    await ds.transaction((em) => timers.insertMany(em, [...rows, ...rows])); // a replayed send adds nothing
    const claimed: string[][] = [[], []];
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    let claimedFirst!: () => void;
    const firstClaimed = new Promise<void>((r) => (claimedFirst = r));
    const first = ds.transaction(async (em) => {
      const got = await timers.claimDue(em, due, 6);
      claimed[0] = got.filter((t) => t.ruleId === ruleId).map((t) => t.caseId);
      claimedFirst();
      await hold; // still holding its claim while the other instance polls
      await timers.markFired(
        em,
        got.map((t) => t.id),
        due,
      );
    });
    await firstClaimed;
    await ds.transaction(async (em) => {
      const got = await timers.claimDue(em, due, 100);
      claimed[1] = got.filter((t) => t.ruleId === ruleId).map((t) => t.caseId);
      await timers.markFired(
        em,
        got.map((t) => t.id),
        due,
      );
    });
    release();
    await first;
    // The second poll ran while the first held its six: it got the other four, none of the six.
    expect([claimed[0].length, claimed[1].length]).toEqual([6, 4]);
    const all = [...claimed[0], ...claimed[1]];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(rows.map((r) => r.case_id).sort());
    await ds.transaction(async (em) => expect(await timers.claimDue(em, due, 100)).toEqual([]));
  });

  it('finds a run by the action it waits for and stores its progress', async () => {
    const runs = new RuleRunRepository(ds);
    const waiting = randomUUID();
    const run = {
      id: randomUUID(),
      ruleId: randomUUID(),
      ruleVersion: 1,
      caseId: 'run-case',
      correlationId: 'c-1',
      depth: 0,
      status: 'running' as const,
      nextStep: 0,
      waitingActionId: null,
      steps: [{ index: 0, status: 'pending' }],
    };
    const now = new Date('2026-03-01T10:00:00Z');
    const fresh = await ds.transaction((em) => runs.insertNew(em, [run], now));
    expect([...fresh]).toEqual([run.id]);
    expect((await ds.transaction((em) => runs.insertNew(em, [run], now))).size).toBe(0); // replay
    await ds.transaction((em) =>
      runs.saveProgress(
        em,
        [{ ...run, waitingActionId: waiting, steps: [{ index: 0, status: 'requested' }] }],
        now,
      ),
    );
    const found = await ds.transaction((em) => runs.lockWaiting<{ status: string }>(em, [waiting]));
    expect(found.get(waiting)).toMatchObject({ id: run.id, steps: [{ status: 'requested' }] });
  });

  it('keeps a provider event once, however often it is delivered', async () => {
    const receipts = new DeliveryReceiptRepository(ds);
    const receipt = (id: string) => ({
      id,
      invite_id: randomUUID(),
      provider: 'sendgrid',
      event: 'delivered',
      provider_event_id: 'sg-event-1',
      reason: null,
      occurred_at: '2026-03-01T10:00:00Z',
    });
    const [a, b] = [randomUUID(), randomUUID()];
    const kept = await ds.transaction((em) => receipts.insertNew(em, [receipt(a), receipt(b)]));
    expect([...kept]).toEqual([a]);
    expect((await ds.transaction((em) => receipts.insertNew(em, [receipt(randomUUID())]))).size).toBe(0);
  });
});
