import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  DistributionRepository,
  InviteRepository,
  ResponseRepository,
  RuleRepository,
  SurveyLinkRepository,
  SurveyRepository,
} from '@fg/persistence';
import {
  mediumDataSource,
  seedDistribution,
  seedFunnelLink,
  seedInvite,
  seedResponse,
} from '../../../../test/support/medium';
import { AnalyticsService, conversion, nps } from './analytics.service';

const QUESTIONS = [
  { id: 'nps', type: 'nps', label: { en: 'Recommend us?', fr: 'Nous recommander ?' } },
  { id: 'effort', type: 'rating', label: { en: 'Effort' } },
  {
    id: 'speed',
    type: 'single_choice',
    label: { en: 'Speed' },
    options: [
      { value: 'fast', label: { en: 'Fast' } },
      { value: 'slow', label: { en: 'Slow' } },
    ],
  },
  { id: 'why', type: 'free_text', label: { en: 'Why?' } },
];

describe('AnalyticsService on Postgres (funnel and response analytics)', () => {
  let ds: DataSource;
  let sut: AnalyticsService;
  let surveyId: string;
  let distributionId: string;
  const ruleA = randomUUID();
  const ruleB = randomUUID();
  const now = new Date();
  const period = { from: new Date(now.getTime() - 86_400_000), to: new Date(now.getTime() + 60_000) };

  // Rows as the issuer, senders and response path leave them (seeded by test/support/medium.ts).
  const link = (o: Parameters<typeof seedFunnelLink>[3] = {}) => seedFunnelLink(ds, distributionId, now, o);
  const invite = (
    linkId: string,
    channel: string,
    status: string,
    deliveryStatus: string,
    o: { reason?: string; sent?: boolean; fallbackOf?: string; kind?: string } = {},
  ) =>
    seedInvite(ds, {
      linkId,
      distributionId,
      channel,
      status,
      deliveryStatus,
      sentAt: o.sent === false ? null : now,
      kind: o.kind,
      reason: o.reason,
      fallbackOf: o.fallbackOf,
    });
  const response = (
    linkId: string,
    answers: Record<string, unknown>,
    o: { status?: string; tags?: Record<string, string>; language?: string } = {},
  ) => seedResponse(ds, { linkId, distributionId, answers, at: now, ...o });

  beforeAll(async () => {
    ds = await mediumDataSource(4);
    sut = new AnalyticsService(
      new DistributionRepository(ds),
      new SurveyRepository(ds),
      new SurveyLinkRepository(ds),
      new InviteRepository(ds),
      new ResponseRepository(ds),
      new RuleRepository(ds),
    );
    ({ surveyId, distributionId } = await seedDistribution(ds, { questions: QUESTIONS }));

    // 1: email, delivered and opened, answered.
    const l1 = await link({ ruleId: ruleA, status: 'Completed', openedAt: true });
    await invite(l1, 'email', 'Invite Opened', 'opened');
    // 2: SMS, delivered, survey opened only (French).
    const l2 = await link({ ruleId: ruleA, language: 'fr', status: 'Survey Opened', openedAt: true });
    await invite(l2, 'sms', 'Invite Sent', 'delivered');
    // 3: email failed, the SMS fallback went out; the respondent started.
    const l3 = await link({ ruleId: ruleB, status: 'In Progress', openedAt: true });
    const failed = await invite(l3, 'email', 'Failed', 'failed', {
      reason: 'PROVIDER_REJECTED: 550',
      sent: false,
    });
    await invite(l3, 'sms', 'Invite Sent', 'accepted', { fallbackOf: failed });
    // 4: email suppressed; a reminder of link 1 was suppressed too (failures count every invite).
    const l4 = await link({ ruleId: ruleB });
    await invite(l4, 'email', 'Suppressed', 'pending', { reason: 'SUPPRESSED: bounced before', sent: false });
    await invite(l1, 'email', 'Suppressed', 'pending', {
      reason: 'SUPPRESSED: unsubscribed',
      sent: false,
      kind: 'reminder',
    });
    // 5: issued over the API, never sent.
    await link({ source: 'api' });
    // Outside the period, and a test send: neither counts.
    await link({ createdAt: new Date(now.getTime() - 40 * 86_400_000), status: 'Completed' });
    await invite(await link({ source: 'test', status: 'Completed' }), 'email', 'Invite Sent', 'delivered');

    // Responses: NPS 10, 9, 7, 3 (2 promoters, 1 passive, 1 detractor → 25), one in progress left out.
    const extra = await Promise.all([link({}), link({}), link({})]);
    await response(
      l1,
      { nps: 10, effort: 5, speed: 'fast', why: 'Quick and kind' },
      { tags: { region: 'emea' } },
    );
    await response(l2, { nps: 9, effort: 4, speed: 'fast', why: '  ' }, { language: 'fr' });
    await response(l3, { nps: 7, speed: 'slow' });
    await response(extra[0], { nps: 3, effort: 2, why: 'Took a week' }, { tags: { region: 'amer' } });
    await response(extra[1], { nps: 0 }, { status: 'In Progress' });
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('counts each link once in every stage it reached, test links and other periods left out', async () => {
    const f = await sut.funnel(distributionId, { ...period, groupBy: 'none' });
    // links 1–5 and the three that only carry responses
    expect(f.total.counts).toEqual({
      issued: 8,
      sent: 3,
      delivered: 2,
      opened: 1,
      surveyOpened: 3,
      started: 2,
      completed: 1,
    });
    expect(f.total.conversion).toMatchObject({ issued: 1, sent: 0.375, delivered: 0.6667, completed: 0.5 });
    expect(f.failures).toEqual(
      expect.arrayContaining([
        { status: 'Suppressed', reasonCode: 'SUPPRESSED', channel: 'email', count: 2 },
        { status: 'Failed', reasonCode: 'PROVIDER_REJECTED', channel: 'email', count: 1 },
      ]),
    );
  });

  it('groups by the channel that carried the invitation (the fallback when the first failed)', async () => {
    const f = await sut.funnel(distributionId, { ...period, groupBy: 'channel' });
    const by = Object.fromEntries(f.groups.map((g) => [g.key, g.counts]));
    expect(by.sms).toMatchObject({ issued: 2, sent: 2, delivered: 1, started: 1 });
    expect(by.email).toMatchObject({ issued: 2, sent: 1, delivered: 1, opened: 1, completed: 1 });
    expect(by.none).toMatchObject({ issued: 4, sent: 0 });
  });

  it('groups by language, rule and day, and filters by channel', async () => {
    const lang = await sut.funnel(distributionId, { ...period, groupBy: 'language' });
    expect(lang.groups.find((g) => g.key === 'fr')?.counts).toMatchObject({ issued: 1, surveyOpened: 1 });
    const rule = await sut.funnel(distributionId, { ...period, groupBy: 'rule' });
    const byRule = Object.fromEntries(rule.groups.map((g) => [g.key, g.counts.issued]));
    expect(byRule).toEqual({ [ruleA]: 2, [ruleB]: 2, api: 1, rule: 3 });
    const day = await sut.funnel(distributionId, { ...period, groupBy: 'day' });
    expect(day.groups.map((g) => g.key)).toContain(now.toISOString().slice(0, 10));
    const sms = await sut.funnel(distributionId, { ...period, groupBy: 'none', channel: 'sms' });
    expect(sms.total.counts.issued).toBe(2);
  });

  it('reports NPS, rating averages, choice counts and the latest free text over completed responses', async () => {
    const r = await sut.results(surveyId, { distributionIds: null, tags: {}, texts: 10 });
    expect(r.responses).toBe(4);
    const q = Object.fromEntries(r.questions.map((x) => [x.id, x]));
    expect(q.nps).toMatchObject({
      answered: 4,
      average: 7.25,
      nps: { promoters: 2, passives: 1, detractors: 1, score: 25 },
    });
    expect(q.effort).toMatchObject({ answered: 3, average: 3.67 });
    expect(q.speed.distribution).toEqual([
      { value: 'fast', label: 'Fast', count: 2 },
      { value: 'slow', label: 'Slow', count: 1 },
    ]);
    expect(q.why.texts?.map((t) => t.text).sort()).toEqual(['Quick and kind', 'Took a week']);
  });

  it('filters results by tag, language and channel', async () => {
    const emea = await sut.results(surveyId, { distributionIds: null, tags: { region: 'emea' }, texts: 5 });
    expect(emea.responses).toBe(1);
    const fr = await sut.results(surveyId, { distributionIds: null, tags: {}, language: 'fr', texts: 5 });
    expect(fr.questions[0].nps).toMatchObject({ promoters: 1, score: 100 });
    const sms = await sut.results(surveyId, { distributionIds: null, tags: {}, channel: 'sms', texts: 5 });
    expect(sms.responses).toBe(2);
    const none = await sut.results(surveyId, { distributionIds: [randomUUID()], tags: {}, texts: 5 });
    expect(none).toMatchObject({ distributionIds: [], responses: 0 });
  });

  it('computes NPS and conversion at their edges', () => {
    expect(nps(new Map())).toEqual({ promoters: 0, passives: 0, detractors: 0, score: null });
    expect(nps(new Map([[6, 3]])).score).toBe(-100);
    const c = conversion({
      issued: 0,
      sent: 0,
      delivered: 0,
      opened: 0,
      surveyOpened: 0,
      started: 0,
      completed: 0,
    });
    expect(c.sent).toBeNull();
  });
});
