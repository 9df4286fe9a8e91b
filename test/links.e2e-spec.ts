import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Topics, deadLetterTopicOf } from '@fg/contracts';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { HOUR, ManualClock } from './support/clock';
import { eventually } from './support/eventually';
import { KafkaTestClient, TopicWatch, structuredEvent } from './support/kafka';
import { opsApi } from './support/ops-api';
import { Pipeline, testConfig } from './support/pipeline';

const PUBLIC = 'https://surveys.example.test';
const pathOf = (url: string) => url.slice(PUBLIC.length);
const QUESTIONS = [
  {
    id: 'nps',
    type: 'nps',
    required: true,
    label: { en: 'How likely are you to recommend us?', fr: 'Nous recommanderiez-vous ?' },
  },
  { id: 'comment', type: 'free_text', label: { en: 'Anything else?' } },
];

/**
 * Issue #3 over real Kafka and Postgres: distributions, one link per case under concurrency, bound transaction
 * data, tampering and revocation, guess limiting, expiry and submission limits with a controllable clock, the
 * one-call API with idempotency keys, external hosting, and the CSV of a 100 000-contact segment.
 */
describe('personalized links', () => {
  const kafka = new KafkaTestClient();
  const clock = new ManualClock();
  let pipeline: Pipeline;
  let key: string;
  let topic: (k: keyof typeof Topics) => string;
  let responses: TopicWatch;

  beforeAll(async () => {
    const config = testConfig({
      PUBLIC_BASE_URL: PUBLIC,
      LINK_GUESSES_PER_MINUTE: '5',
      TRUST_PROXY: 'loopback',
      SENDGRID_WEBHOOK_PUBLIC_KEY: undefined,
    });
    topic = (k) => `${config.KAFKA_TOPIC_PREFIX}${Topics[k].name}`;
    pipeline = await new Pipeline(config, clock).start(['gateway', 'rules', 'link-issuer']);
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('links', [
          'distribution:edit',
          'distribution:view',
          'rules:configure',
          'case-fields:configure',
        ])
    ).key;
    responses = await kafka.watch(topic('responseStatus'));
  });

  afterAll(async () => {
    await kafka.close();
    await pipeline?.close();
  });

  const api = opsApi(
    () => pipeline.gateway,
    () => key,
  );
  const page = (path: string, ip = '10.0.0.1') =>
    request(pipeline.gateway).get(path).set('X-Forwarded-For', ip);
  const answer = (path: string, form: Record<string, string>) =>
    request(pipeline.gateway).post(path).type('form').send(form);

  async function survey() {
    const res = await api
      .post('/ops/surveys', { name: 'CSAT', languages: ['en', 'fr'], questions: QUESTIONS })
      .expect(201);
    return res.body.id as string;
  }
  async function distribution(settings: Record<string, unknown> = {}) {
    const surveyId = await survey();
    const res = await api
      .post('/ops/distributions', { surveyId, name: 'Resolved', tags: { program: 'csat' }, ...settings })
      .expect(201);
    return res.body as { id: string; status: string; activation: string };
  }
  const link = (
    distributionId: string,
    body: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) =>
    api.post(
      '/ops/links',
      {
        distributionId,
        contact: { id: `c-${randomUUID()}`, name: 'Ada Lovelace', email: 'ada@example.com' },
        ...body,
      },
      headers,
    );

  it('keeps distributions as drafts until a rule references them, and validates their settings', async () => {
    const d = await distribution({
      format: 'conversational',
      expiry: { mode: 'dynamic', amount: 2, unit: 'hours' },
    });
    expect(d).toMatchObject({
      status: 'draft',
      activation: 'draft: becomes active when an enabled rule references it',
    });
    const bad = await api.post('/ops/distributions', {
      surveyId: await survey(),
      name: 'x',
      startsAt: '2030-01-02T00:00:00Z',
      expiry: { mode: 'static', at: '2030-01-01T00:00:00Z' },
      submissionLimit: { allowed: 0 },
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error.details.fields as { field: string }[]).map((f) => f.field).sort()).toEqual([
      'expiry.at',
      'submissionLimit.allowed',
    ]);
    const bad2 = await api.post('/ops/distributions', {
      surveyId: await survey(),
      name: 'x',
      startsAt: '2030-01-02T00:00:00Z',
      expiry: { mode: 'static', at: '2030-01-01T00:00:00Z' },
    });
    expect(bad2.body.error.details.fields).toEqual([
      { field: 'expiry.at', message: 'must be after startsAt' },
    ]);
    await api
      .post('/ops/rules', {
        name: 'link on Resolved',
        trigger: 'case.updated',
        conditions: { field: 'custom.program', op: 'equals', value: d.id },
        actions: [{ type: 'issue_link', distributionId: d.id, linkField: 'survey_link' }],
      })
      .expect(201);
    expect((await api.get(`/ops/distributions/${d.id}`).expect(200)).body).toMatchObject({
      status: 'active',
      activation: 'active: referenced by a rule',
    });
  });

  it('issues exactly one link per (distribution, case) for concurrent requests from rules and the API, bound to the data of the moment', async () => {
    const d = await distribution({ expiry: { mode: 'dynamic', amount: 2, unit: 'hours' } });
    await api
      .post('/ops/rules', {
        name: 'link',
        trigger: 'case.updated',
        conditions: { field: 'custom.program', op: 'equals', value: d.id },
        actions: [{ type: 'issue_link', distributionId: d.id, linkField: 'survey_link' }],
      })
      .expect(201);

    // The API, twelve times at once for the same case, contact and data: one link, created once.
    const apiCase = `case-${randomUUID()}`;
    const ada = { id: `c-${randomUUID()}`, name: 'Ada Lovelace', email: 'ada@example.com' };
    const viaApi = await Promise.all(
      Array.from({ length: 12 }, () =>
        link(d.id, { caseId: apiCase, contact: ada, transactionData: { o: '1' } }),
      ),
    );
    expect(new Set(viaApi.map((r) => r.body.linkId as string)).size).toBe(1);
    expect(viaApi.map((r) => r.status).sort((x, y) => x - y)).toEqual([...Array(11).fill(200), 201]);
    // The expiry is an absolute UTC instant computed by the server and returned with the link.
    const expiresAt = new Date(viaApi[0].body.expiresAt as string);
    expect(Math.abs(expiresAt.getTime() - (clock.now().getTime() + 2 * HOUR))).toBeLessThan(60_000);
    expect(viaApi[0].body.expiresAt).toMatch(/Z$/);
    // Short enough for SMS; the token is not stored.
    expect(pathOf(viaApi[0].body.url as string).length).toBeLessThanOrEqual(30);
    // Another contact, or other data, for a case that has its link: a 409 that says so (was: the old link
    // with the new contact's id, the new data silently dropped).
    const other = await link(d.id, { caseId: apiCase, transactionData: { o: '1' } }).expect(409);
    expect(other.body.error.message).toContain('another contact');
    expect(other.body.error.details.linkId).toBe(viaApi[0].body.linkId);
    const changed = await link(d.id, { caseId: apiCase, contact: ada, transactionData: { o: '2' } }).expect(
      409,
    );
    expect(changed.body.error.message).toContain('other data');

    // A rule, for a case whose event arrives twice: one link, written to the case field.
    const caseId = `case-${randomUUID()}`;
    const ev = (name: string) =>
      structuredEvent(caseId, 'case.updated', {
        caseId,
        fields: { status: 'Resolved' },
        customFields: { program: d.id },
        contact: { name, email: 'a@example.com' },
      });
    await kafka.produce(topic('caseEvents'), [ev('Ada Lovelace'), ev('Ada Lovelace')]);
    const [kase] = await eventually(async () => {
      const rows = await pipeline.ds.query(`SELECT custom_fields FROM cases WHERE id = $1`, [caseId]);
      expect(rows[0]?.custom_fields.survey_link).toBeDefined();
      return rows;
    });
    const rows = await pipeline.ds.query(
      `SELECT id, transaction_data, expires_at, expires_after_seconds FROM survey_links WHERE case_id = $1`,
      [caseId],
    );
    expect(rows).toHaveLength(1);
    // Our copy of the case holds a reference to the link, not a working URL (the CRM gets the URL).
    expect(kase.custom_fields.survey_link).toBe(`fg-link:${rows[0].id}`);
    // Issued but not sent: its two hours start at the first send.
    expect(rows[0]).toMatchObject({ expires_at: null, expires_after_seconds: 2 * 3600 });
    // The API can't take over the rule's link with a contact of its own.
    await link(d.id, { caseId }).expect(409);
    // Later case edits don't change the data bound to the link.
    await kafka.produce(topic('caseEvents'), [ev('Somebody Else')]);
    await eventually(async () => {
      const [c] = await pipeline.ds.query(`SELECT contact FROM cases WHERE id = $1`, [caseId]);
      expect(c.contact.name).toBe('Somebody Else');
    });
    const [after] = await pipeline.ds.query(`SELECT transaction_data FROM survey_links WHERE id = $1`, [
      rows[0].id,
    ]);
    expect(after.transaction_data).toEqual(rows[0].transaction_data);
  });

  it('shows each state with its own page and status; unknown and revoked look the same; guessing is limited', async () => {
    const d = await distribution({ expiry: { mode: 'dynamic', amount: 2, unit: 'hours' } });
    const l = (await link(d.id).expect(201)).body as { linkId: string; url: string };
    const p = pathOf(l.url);
    const open = await page(p).expect(200);
    expect(open.text).toContain('How likely are you to recommend us?');
    // A mail scanner or a link-preview bot fetches the link (GET, HEAD): that is not an open.
    await request(pipeline.gateway).head(p).expect(200);
    const statusOf = async () =>
      (await pipeline.ds.query(`SELECT response_status FROM survey_links WHERE id = $1`, [l.linkId]))[0]
        .response_status as string;
    expect(await statusOf()).toBe('Not Started');
    // The page's beacon, once a person looks at it, is.
    expect(open.text).toContain('<script src="/p/opened.js" defer></script>');
    await request(pipeline.gateway).post(`${p}/opened`).expect(204);
    await request(pipeline.gateway).post(`${p}/opened`).expect(204); // once
    const opened = await responses.waitFor<{ linkId: string; status: string }>(
      (m) => m.data.linkId === l.linkId,
    );
    expect(opened.data.status).toBe('Survey Opened');
    expect(await statusOf()).toBe('Survey Opened');

    // Tampering with the token gives the unknown-link page.
    const tampered = p.slice(0, -1) + (p.endsWith('A') ? 'B' : 'A');
    const unknown = await page(tampered, '10.0.0.2').expect(404);
    await api.post(`/ops/links/${l.linkId}/revoke`, {}).expect(200);
    const revoked = await page(p, '10.0.0.3').expect(404);
    expect(revoked.text).toBe(unknown.text);
    expect(revoked.headers['content-length']).toBe(unknown.headers['content-length']);

    // Guessing: after LINK_GUESSES_PER_MINUTE misses, the client's unknown links get 429; a good link still opens
    // (an office behind one address keeps working), and an IPv6 guesser can't rotate through its /64.
    const good = pathOf(((await link(d.id).expect(201)).body as { url: string }).url);
    for (let i = 0; i < 5; i++) await page(`/s/${randomUUID().slice(0, 22)}`, '10.9.9.9').expect(404);
    await page(`/s/${randomUUID().slice(0, 22)}`, '10.9.9.9').expect(429);
    await page(good, '10.9.9.9').expect(200);
    await page(`/s/${randomUUID().slice(0, 22)}`, '10.0.0.4').expect(404);
    for (let i = 0; i < 6; i++) await page(`/s/${randomUUID().slice(0, 22)}`, `2001:db8:7:7::${i + 1}`);
    await page(`/s/${randomUUID().slice(0, 22)}`, '2001:db8:7:7:abcd::99').expect(429);
    await page(`/s/${randomUUID().slice(0, 22)}`, '2001:db8:7:8::1').expect(404);

    // Not open yet, expired (controllable clock), closed.
    const later = await distribution({ startsAt: new Date(clock.now().getTime() + HOUR).toISOString() });
    const notYet = pathOf(((await link(later.id).expect(201)).body as { url: string }).url);
    expect((await page(notYet).expect(403)).text).toContain('not open yet');
    clock.advance(2 * HOUR + 1000);
    expect((await page(good).expect(410)).text).toContain('expired');
    await page(notYet).expect(200);
    const s = (await api.get(`/ops/distributions/${later.id}`).expect(200)).body as { surveyId: string };
    await api
      .put(`/ops/surveys/${s.surveyId}`, { name: 'CSAT', questions: QUESTIONS, status: 'closed' })
      .expect(200);
    expect((await page(notYet).expect(410)).text).toContain('This survey is closed');
  });

  it('saves progress, completes on submit, and counts submissions atomically against the limit, which resets', async () => {
    const d = await distribution({ submissionLimit: { allowed: 1, reset: { amount: 1, unit: 'days' } } });
    const l = (await link(d.id).expect(201)).body as { linkId: string; url: string };
    const p = pathOf(l.url);
    await page(p).expect(200);
    await answer(p, { 'q.comment': 'Quick answer', action: 'save' }).expect(303);
    const status = async () =>
      (await pipeline.ds.query(`SELECT response_status FROM survey_links WHERE id = $1`, [l.linkId]))[0]
        .response_status as string;
    expect(await status()).toBe('In Progress');
    expect((await page(p).expect(200)).text).toContain('Quick answer');
    await answer(p, { 'q.nps': '9', action: 'save' }).expect(303);
    expect(await status()).toBe('Partially Completed');
    const invalid = await answer(p, { 'q.nps': '11', action: 'submit' }).expect(400);
    expect(invalid.text).toContain('“How likely are you to recommend us?” needs a whole number from 0 to 10');

    // Two tabs submit at once: one gets in, the other finds the limit used up.
    const results = await Promise.all([
      answer(p, { 'q.nps': '9', action: 'submit' }),
      answer(p, { 'q.nps': '10', action: 'submit' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
    expect(await status()).toBe('Completed');
    const done = await pipeline.ds.query(`SELECT status, answers, tags FROM responses WHERE link_id = $1`, [
      l.linkId,
    ]);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({
      status: 'Completed',
      tags: { program: 'csat' },
      answers: { comment: 'Quick answer' },
    });
    expect((await page(p).expect(403)).text).toContain('You have already answered');
    await responses.waitFor<{ linkId: string; status: string }>(
      (m) => m.data.linkId === l.linkId && m.data.status === 'Completed',
    );

    // A day later the count starts over.
    clock.advance(24 * HOUR + 1000);
    await page(p).expect(200);
    await answer(p, { 'q.nps': '7', action: 'submit' }).expect(200);
    expect(
      await pipeline.ds.query(`SELECT 1 FROM responses WHERE link_id = $1 AND status = 'Completed'`, [
        l.linkId,
      ]),
    ).toHaveLength(2);
    const csv = await api.get(`/ops/distributions/${d.id}/responses.csv`).expect(200);
    expect(csv.text.split('\r\n')[0]).toBe(
      '\uFEFFresponse id,link id,case id,status,source,submitted at,program,nps,comment,link data',
    );
  });

  it('accepts one answer per case when the distribution sets no limit; a link without a case keeps taking answers', async () => {
    const d = await distribution(); // no submissionLimit
    const perCase = (await link(d.id, { caseId: `case-${randomUUID()}` }).expect(201)).body as {
      url: string;
    };
    const p = pathOf(perCase.url);
    await answer(p, { 'q.nps': '9', action: 'submit' }).expect(200);
    const again = await answer(p, { 'q.nps': '3', action: 'submit' }).expect(403);
    expect(again.text).toContain('You have already answered');
    expect((await page(p).expect(403)).text).toContain('You have already answered');
    const shared = (await link(d.id).expect(201)).body as { url: string; linkId: string };
    await answer(pathOf(shared.url), { 'q.nps': '8', action: 'submit' }).expect(200);
    await answer(pathOf(shared.url), { 'q.nps': '7', action: 'submit' }).expect(200);
    const counts = await pipeline.ds.query(
      `SELECT l.case_id IS NOT NULL AS per_case, count(r.*)::int AS n FROM survey_links l
       JOIN responses r ON r.link_id = l.id AND r.status = 'Completed'
       WHERE l.distribution_id = $1 GROUP BY 1 ORDER BY 1`,
      [d.id],
    );
    expect(counts).toEqual([
      { per_case: false, n: 2 },
      { per_case: true, n: 1 },
    ]);
    // The export takes the analytics' filters (period, channel, language).
    const rowsOf = async (query: string) =>
      (await api.get(`/ops/distributions/${d.id}/responses.csv?${query}`).expect(200)).text
        .trimEnd()
        .split('\r\n').length - 1;
    expect(await rowsOf('from=2000-01-01')).toBe(3);
    expect(await rowsOf('from=2999-01-01')).toBe(0);
    expect(await rowsOf('language=fr')).toBe(0);
    expect(await rowsOf('language=en&status=Completed')).toBe(3);
  });

  it('answers the one-call API once per Idempotency-Key, and counts links the caller delivered itself', async () => {
    const d = await distribution();
    const body = {
      distributionId: d.id,
      contact: {
        id: 'crm-7',
        name: 'Grace Hopper',
        email: 'grace@example.com',
        attributes: { tier: 'gold' },
      },
      transactionData: { order_id: 'A-1' },
    };
    const k = randomUUID();
    const [a, b] = await Promise.all([
      api.post('/ops/links', body, { 'Idempotency-Key': k }),
      api.post('/ops/links', body, { 'Idempotency-Key': k }),
    ]);
    expect(a.body).toEqual(b.body);
    expect([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']].filter(Boolean)).toEqual([
      'true',
    ]);
    const again = await api.post(
      '/ops/links',
      { ...body, contact: { ...body.contact, attributes: { tier: 'silver' } } },
      { 'Idempotency-Key': k },
    );
    expect(again.status).toBe(422);
    expect(again.body.error.message).toMatch(/Idempotency-Key was used with another request body/);
    const other = await api.post('/ops/links', body, { 'Idempotency-Key': randomUUID() }).expect(201);
    expect(other.body.linkId).not.toBe(a.body.linkId);
    expect(other.body.contactId).toBe(a.body.contactId); // the same contact, updated, not duplicated
    const [bound] = await pipeline.ds.query(`SELECT transaction_data FROM survey_links WHERE id = $1`, [
      a.body.linkId,
    ]);
    expect(bound.transaction_data).toMatchObject({
      order_id: 'A-1',
      customer_first_name: 'Grace',
      profile_tier: 'gold',
      program: 'csat',
    });

    await api.post(`/ops/links/${a.body.linkId}/sent`, { channel: 'in_app' }).expect(200);
    await api.post(`/ops/links/${a.body.linkId}/sent`, { channel: 'in_app' }).expect(200);
    expect((await api.get(`/ops/distributions/${d.id}/stats`).expect(200)).body).toMatchObject({
      links: 2,
      invitesSent: 1,
      reportedSent: 1,
    });
  });

  it('sends respondents to a survey hosted elsewhere with a signed short-lived reference; the tool reports back over REST or Kafka', async () => {
    const d = await distribution({ hosting: { mode: 'external', url: 'https://tool.example.com/take?x=1' } });
    const l = (await link(d.id).expect(201)).body as { linkId: string; url: string };
    const res = await page(pathOf(l.url)).expect(303);
    const target = new URL(res.headers.location);
    expect(target.origin + target.pathname).toBe('https://tool.example.com/take');
    expect(target.searchParams.get('x')).toBe('1');
    const ref = target.searchParams.get('fg_ref')!;
    const [, exp] = ref.split('.');
    expect(Number(exp) * 1000 - clock.now().getTime()).toBeLessThanOrEqual(15 * 60_000);
    const forged = ref.slice(0, -2) + (ref.endsWith('AA') ? 'BB' : 'AA');
    await api.post('/ops/responses/report', { ref: forged, status: 'Completed' }).expect(400);
    await api
      .post('/ops/responses/report', { ref, status: 'In Progress' })
      .expect(200, { linkId: l.linkId, status: 'In Progress', changed: true });
    const dlq = await kafka.watch(deadLetterTopicOf(topic('responseReports')));
    const report = (r: string, status: string) =>
      structuredEvent(l.linkId, 'response.status.reported', { ref: r, status }, 'tool');
    await kafka.produce(topic('responseReports'), [report(forged, 'Completed'), report(ref, 'Completed')]);
    await responses.waitFor<{ linkId: string; status: string }>(
      (m) => m.data.linkId === l.linkId && m.data.status === 'Completed',
    );
    const dead = await dlq.waitFor(() => true);
    expect(dead.headers['dlq-reason']).toContain('ref is not a reference we signed');

    // The tool's completion counts like one on our page: in the stats, the JSON API and the export, with the
    // data bound to the link.
    await eventually(async () => {
      const stats = await api.get(`/ops/distributions/${d.id}/stats`).expect(200);
      expect(stats.body.completedResponses).toBe(1);
    });
    const json = await api.get(`/ops/distributions/${d.id}/responses`).expect(200);
    expect(json.body.items).toEqual([
      expect.objectContaining({
        linkId: l.linkId,
        status: 'Completed',
        source: 'external',
        data: expect.objectContaining({ customer_first_name: 'Ada' }),
      }),
    ]);
    const csv = (await api.get(`/ops/distributions/${d.id}/responses.csv`).expect(200)).text.split('\r\n');
    expect(csv[1]).toContain(`,${l.linkId},`);
    expect(csv[1]).toContain(',Completed,external,');
  });

  it('streams the personal links of a 100 000-contact segment as CSV, single-use, valid through the end of the day', async () => {
    const d = await distribution();
    const tag = randomUUID().slice(0, 8);
    await pipeline.ds.query(
      `INSERT INTO contacts (id, custom_id, first_name, last_name, email, attributes)
       SELECT gen_random_uuid(), $1 || '-' || g, 'First' || g, 'Last' || g, 'c' || g || '@example.com',
              jsonb_build_object('batch', $1::text, 'plan', CASE WHEN g % 10 = 0 THEN 'free' ELSE 'pro' END)
       FROM generate_series(1, 111111) AS g`,
      [tag],
    );
    const seg = await api
      .post('/ops/segments', {
        name: 'pro',
        filter: {
          all: [
            { attribute: 'batch', op: 'equals', value: tag },
            { attribute: 'plan', op: 'in', value: ['pro'] },
          ],
        },
      })
      .expect(201);
    expect(seg.body.contacts).toBe(100_000);
    const day = new Date(clock.now().getTime() + 7 * 24 * HOUR).toISOString().slice(0, 10);
    const res = await api
      .post(`/ops/distributions/${d.id}/bulk-links`, { segmentId: seg.body.id, expiresOn: day })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('\uFEFFcontact id,custom id,first name,last name,email,personal link');
    expect(lines).toHaveLength(100_001);
    const urls = new Set(lines.slice(1).map((l) => l.split(',')[5]));
    expect(urls.size).toBe(100_000);
    expect(lines[1]).toMatch(
      new RegExp(
        `^[0-9a-f-]{36},${tag}-\\d+,First\\d+,Last\\d+,c\\d+@example\\.com,${PUBLIC}/s/[A-Za-z0-9_-]{22}$`,
      ),
    );
    const [row] = await pipeline.ds.query(
      `SELECT count(*)::int AS n, min(expires_at) AS lo, max(expires_at) AS hi, bool_and(submission_limit = '{"allowed":1,"reset":null}'::jsonb) AS single
       FROM survey_links WHERE distribution_id = $1`,
      [d.id],
    );
    expect(row.n).toBe(100_000);
    expect(new Date(row.lo).toISOString()).toBe(
      new Date(Date.parse(`${day}T00:00:00Z`) + 24 * HOUR).toISOString(),
    );
    expect(row.single).toBe(true);
  }, 300_000);
});
