import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InviteRepository, QuarantineRuleRepository } from '@fg/persistence';
import {
  mediumDataSource,
  seedDistribution,
  seedLink,
  clearQuarantineRules,
  seedInvite,
} from '../../../test/support/medium';
import { QuarantineService } from './quarantine.service';

describe('QuarantineService on Postgres', () => {
  let ds: DataSource;
  let sut: QuarantineService;
  let invites: InviteRepository;
  const now = new Date('2026-07-01T12:00:00Z');
  const DAY = 86_400_000;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    invites = new InviteRepository(ds);
    sut = new QuarantineService(new QuarantineRuleRepository(ds), invites);
    // Quarantine rules are global: this database is the medium tests' own; start from none.
    await clearQuarantineRules(ds);
    await new QuarantineRuleRepository(ds).insert(randomUUID(), {
      name: 'One survey a month',
      channel: null,
      maxInvites: 1,
      period: { amount: 30, unit: 'days' },
      enabled: true,
    });
    await new QuarantineRuleRepository(ds).insert(randomUUID(), {
      name: 'SMS weekly',
      channel: 'sms',
      maxInvites: 0,
      period: { amount: 7, unit: 'days' },
      enabled: false,
    });
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const invitation = async (contactKey: string, sentAt: Date | null, kind = 'invitation') => {
    const { distributionId } = await seedDistribution(ds);
    const caseId = `case-${randomUUID()}`;
    const linkId = await seedLink(ds, distributionId, { caseId });
    return seedInvite(ds, { linkId, distributionId, caseId, kind, contactKey, sentAt });
  };

  it('quarantines an invitation within the period, naming the rule; reminders and other contacts are free', async () => {
    const ada = `contact:${randomUUID()}`;
    const grace = `contact:${randomUUID()}`;
    await invitation(ada, new Date(now.getTime() - 10 * DAY));
    await invitation(grace, new Date(now.getTime() - 31 * DAY)); // outside the 30 days
    const [a, g] = [await invitation(ada, null), await invitation(grace, null)];
    const out = await ds.transaction((em) =>
      sut.check(
        em,
        'email',
        [
          { inviteId: a, contactKey: ada },
          { inviteId: g, contactKey: grace },
        ],
        now,
      ),
    );
    expect([...out]).toEqual([
      [a, 'QUARANTINED: rule "One survey a month" allows 1 invitation(s) per contact per 30 days'],
    ]);
  });

  it('lets only the first of two invitations to one contact in a batch through', async () => {
    const lin = `contact:${randomUUID()}`;
    const [first, second] = [await invitation(lin, null), await invitation(lin, null)];
    const out = await ds.transaction((em) =>
      sut.check(
        em,
        'email',
        [
          { inviteId: first, contactKey: lin },
          { inviteId: second, contactKey: lin },
        ],
        now,
      ),
    );
    expect([...out.keys()]).toEqual([second]);
  });
});
