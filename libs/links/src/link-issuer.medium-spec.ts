import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig, DomainError } from '@fg/common';
import { UnitOfWork } from '@fg/messaging';
import { DistributionEntity, DistributionRepository, SurveyLinkRepository } from '@fg/persistence';
import {
  mediumDataSource,
  outboxFor,
  seedDistribution,
  unitOfWorkFor,
  seedContact,
} from '../../../test/support/medium';
import { LinkIssuer } from './link-issuer.service';

describe('LinkIssuer on Postgres', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let sut: LinkIssuer;
  let now = new Date('2026-06-01T12:00:00Z');
  const HOUR = 3_600_000;

  beforeAll(async () => {
    ds = await mediumDataSource(4);
    const outbox = outboxFor(ds);
    uow = unitOfWorkFor(ds, outbox);
    const cfg = {
      LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      PUBLIC_BASE_URL: 'https://s.example.test',
    } as AppConfig;
    sut = new LinkIssuer(cfg, { now: () => now }, new SurveyLinkRepository(ds), outbox);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const distribution = async (o: { expiry?: unknown; submissionLimit?: unknown } = {}) => {
    const { distributionId } = await seedDistribution(ds, {
      submissionLimit: o.submissionLimit,
      expiry: o.expiry,
    });
    return (await new DistributionRepository(ds).findById(distributionId)) as DistributionEntity;
  };
  const contact = () => seedContact(ds);

  it("gives a case's link back only for the same contact and data; otherwise a 409 that says why", async () => {
    const d = await distribution();
    const [ada, grace] = [await contact(), await contact()];
    const ask = (contactId: string, data: Record<string, string>) =>
      uow.run((em) => sut.issue(em, d, 'api', [{ caseId: 'CASE-9', contactId, data, language: 'en' }]));
    const [first] = await ask(ada, { order: 'A-1' });
    expect(first.created).toBe(true);
    const [again] = await ask(ada, { order: 'A-1' });
    expect(again).toMatchObject({ linkId: first.linkId, url: first.url, created: false });

    const otherContact = await ask(grace, { order: 'A-1' }).catch((e: unknown) => e);
    expect(otherContact).toBeInstanceOf(DomainError);
    expect(otherContact).toMatchObject({ code: 'CONFLICT', details: { linkId: first.linkId } });
    expect((otherContact as Error).message).toContain('another contact');
    const otherData = await ask(ada, { order: 'B-2' }).catch((e: unknown) => e);
    expect(otherData).toMatchObject({ code: 'CONFLICT' });
    expect((otherData as Error).message).toContain('other data');
    // The link keeps what it was issued with.
    const [row] = await ds.query(`SELECT contact_id, transaction_data FROM survey_links WHERE id = $1`, [
      first.linkId,
    ]);
    expect(row).toEqual({ contact_id: ada, transaction_data: { order: 'A-1' } });
  });

  it('issues nothing for a distribution whose static expiry has passed (was: links born expired)', async () => {
    const d = await distribution({
      expiry: { mode: 'static', at: new Date(now.getTime() - 1000).toISOString() },
    });
    expect(() => sut.requireUsable(d, d.id)).toThrow(/^DISTRIBUTION_EXPIRED: /);
    const live = await distribution({
      expiry: { mode: 'static', at: new Date(now.getTime() + HOUR).toISOString() },
    });
    expect(sut.requireUsable(live, live.id)).toBe(live);
  });

  it("starts a rule link's dynamic expiry at the first send, not at issue", async () => {
    const d = await distribution({ expiry: { mode: 'dynamic', amount: 2, unit: 'days' } });
    const ruleId = randomUUID();
    const [link] = await uow.run((em) =>
      sut.issue(em, d, 'rule', [{ caseId: `case-${randomUUID()}`, data: {}, language: 'en', ruleId }]),
    );
    expect(link.expiresAt).toBeNull();
    // The funnel groups links by the rule that issued them.
    const [issued] = await ds.query(`SELECT rule_id FROM survey_links WHERE id = $1`, [link.linkId]);
    expect(issued.rule_id).toBe(ruleId);
    now = new Date(now.getTime() + 5 * HOUR); // sent five hours later
    const links = new SurveyLinkRepository(ds);
    const first = await uow.run((em) => links.startExpiry(em, [link.linkId], now));
    expect(first.get(link.linkId)).toEqual(new Date(now.getTime() + 48 * HOUR));
    now = new Date(now.getTime() + 24 * HOUR); // a reminder a day later keeps the first send's expiry
    const second = await uow.run((em) => links.startExpiry(em, [link.linkId], now));
    expect(second.get(link.linkId)).toEqual(first.get(link.linkId));
  });

  it('marks test links and lets them live a day at most; hands a segment the same bulk links again', async () => {
    const d = await distribution({ expiry: { mode: 'none' } });
    const [test] = await uow.run((em) =>
      sut.issue(em, d, 'test', [{ caseId: `test-send:${randomUUID()}`, data: {}, language: 'en' }]),
    );
    expect(test.expiresAt).toEqual(new Date(now.getTime() + 24 * HOUR));
    const [row] = await ds.query(`SELECT source FROM survey_links WHERE id = $1`, [test.linkId]);
    expect(row.source).toBe('test');

    const people = [await contact(), await contact()];
    const bulk = () =>
      uow.run((em) =>
        sut.issue(
          em,
          d,
          'bulk',
          people.map((contactId) => ({ contactId, data: {}, language: 'en' })),
          { singleUse: true },
        ),
      );
    const [a, b] = [await bulk(), await bulk()];
    expect(b.map((l) => l.url)).toEqual(a.map((l) => l.url));
    expect(b.every((l) => !l.created)).toBe(true);
  });
});
