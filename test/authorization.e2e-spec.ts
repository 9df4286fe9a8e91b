import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiKeyRepository } from '@fg/persistence';
import { ApiKeyService, PERMISSIONS } from '@fg/gateway';
import { ExternalRefs } from '@fg/links';
import { runKeysCli } from '../apps/gateway/src/auth/keys.cli';
import { Pipeline, testConfig } from './support/pipeline';

/**
 * Central authorization, checked route by route from the OpenAPI document: a key limited to survey B can't read
 * or change anything of survey A (403 or 404, and not one row changes), a key limited to survey A gets through,
 * lists show a limited key only its surveys' objects, and what every survey shares needs an unlimited key.
 * A route missing from the table below fails the test, so a new route can't be forgotten.
 */
describe('authorization', () => {
  let pipeline: Pipeline;
  let admin: string;
  let keyA: string;
  let keyB: string;
  const fx: Record<string, string> = {};

  const ALL = PERMISSIONS;

  const call = (key: string, method: string, path: string, body?: unknown) => {
    const verb = method as 'get' | 'post' | 'put' | 'delete';
    const r = request(pipeline.gateway)[verb](path).set('Authorization', `Bearer ${key}`);
    return body === undefined ? r : r.send(body as object);
  };

  beforeAll(async () => {
    pipeline = await new Pipeline(testConfig()).start(['gateway']);
    const keys = pipeline.apps.get('gateway')!.get(ApiKeyService);
    admin = (await keys.create('admin', [...ALL])).key;
    const survey = async (name: string) =>
      (
        await call(admin, 'post', '/ops/surveys', {
          name,
          questions: [{ id: 'nps', type: 'nps', label: { en: 'Recommend us?' } }],
        }).expect(201)
      ).body.id as string;
    const distribution = async (surveyId: string) =>
      (
        await call(admin, 'post', '/ops/distributions', {
          surveyId,
          name: 'Resolved',
          hosting: { mode: 'external', url: 'https://tool.example.com/take' },
        }).expect(201)
      ).body.id as string;
    fx.surveyA = await survey('A');
    fx.surveyB = await survey('B');
    fx.distA = await distribution(fx.surveyA);
    fx.distB = await distribution(fx.surveyB);
    await call(admin, 'put', `/ops/distributions/${fx.distA}/templates`, {
      channel: 'email',
      kind: 'invitation',
      language: 'en',
      subject: 'How did we do?',
      text: 'Tell us: {{survey_link}}',
    }).expect(200);
    await call(admin, 'put', `/ops/distributions/${fx.distA}/channels`, {
      accounts: { email: { fromEmail: 'surveys@acme.test' } },
    }).expect(200);
    const link = await call(admin, 'post', '/ops/links', {
      distributionId: fx.distA,
      caseId: 'CASE-A',
      contact: { id: 'crm-a', name: 'Ada Lovelace', email: 'ada@example.com' },
    }).expect(201);
    fx.linkA = link.body.linkId;
    // The CRM's case, as the rules app keeps it (with the live link in a custom field).
    await pipeline.ds.query(
      `INSERT INTO cases (id, fields, custom_fields) VALUES ('CASE-A', '{"status":"Resolved"}', $1::jsonb)`,
      [JSON.stringify({ survey_link: link.body.url })],
    );
    // An invitation of survey A as the link issuer records it (the ops views read it).
    fx.inviteA = randomUUID();
    await pipeline.ds.query(
      `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                            status, delivery_status)
       VALUES ($1, $2, $3, $4, 'CASE-A', 'email', 'invitation', 'en', 'ada@example.com', 'Invite Sent', 'delivered')`,
      [fx.inviteA, randomUUID(), fx.linkA, fx.distA],
    );
    fx.refA = new ExternalRefs(pipeline.config.LINK_SIGNING_SECRET).issue(fx.linkA, new Date());
    const rule = (distributionId: string) => ({
      name: `invite ${distributionId}`,
      trigger: 'case.updated',
      enabled: false,
      conditions: { field: 'status', op: 'changed_to', value: 'Resolved' },
      actions: [{ type: 'send_invitation', distributionId, channel: 'email' }],
    });
    fx.ruleA = (await call(admin, 'post', '/ops/rules', rule(fx.distA)).expect(201)).body.id;
    fx.ruleB = (await call(admin, 'post', '/ops/rules', rule(fx.distB)).expect(201)).body.id;
    fx.ruleBodyA = JSON.stringify(rule(fx.distA));
    fx.ruleBodyB = JSON.stringify(rule(fx.distB));
    fx.segment = (
      await call(admin, 'post', '/ops/segments', {
        name: 'all',
        filter: { attribute: 'email', op: 'exists' },
      }).expect(201)
    ).body.id;
    keyA = (await keys.create('team A', [...ALL], [fx.surveyA])).key;
    keyB = (await keys.create('team B', [...ALL], [fx.surveyB])).key;
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  /**
   * Every row an ops request could change: the two surveys' objects, the small shared tables whole, and the
   * large shared ones by count and newest row version (other test files leave 100 000 contacts behind).
   */
  const fingerprint = async () => {
    const dists = `(SELECT id FROM distributions WHERE survey_id IN ('${fx.surveyA}', '${fx.surveyB}'))`;
    const scoped: Record<string, string> = {
      surveys: `id IN ('${fx.surveyA}', '${fx.surveyB}')`,
      distributions: `survey_id IN ('${fx.surveyA}', '${fx.surveyB}')`,
      templates: `distribution_id IN ${dists}`,
      survey_links: `distribution_id IN ${dists}`,
      invites: `distribution_id IN ${dists}`,
      responses: `distribution_id IN ${dists}`,
      cases: `id = 'CASE-A'`,
      rules: 'TRUE',
      rule_versions: 'TRUE',
      segments: 'TRUE',
      quarantine_rules: 'TRUE',
      idempotency_keys: 'TRUE',
    };
    const parts = await Promise.all([
      ...Object.entries(scoped).map(async ([t, where]) => {
        const [r] = await pipeline.ds.query(
          `SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x WHERE ${where}`,
        );
        return `${t}:${r.n}:${r.h}`;
      }),
      ...['contacts', 'suppressions'].map(async (t) => {
        const [r] = await pipeline.ds.query(
          `SELECT count(*)::int AS n, max(xmin::text::bigint) AS v FROM ${t}`,
        );
        return `${t}:${r.n}:${r.v}`;
      }),
      // Anything a request publishes goes through the outbox; its relay drains it at any moment, so count what
      // was ever written (the identity's sequence), not what is there.
      pipeline.ds
        .query(`SELECT pg_sequence_last_value(pg_get_serial_sequence('outbox', 'id'))::text AS v`)
        .then(([r]: { v: string | null }[]) => `outbox-written:${r.v}`),
    ]);
    const [k] = await pipeline.ds.query(
      `SELECT md5(string_agg(concat_ws(',', id, key_hash, permissions, survey_ids, revoked_at, expires_at), '|' ORDER BY id)) AS h FROM api_keys`,
    );
    return [...parts, `api_keys:${k.h}`].join('\n');
  };

  /** Fails naming the route and the answer when the status is not as expected. */
  const expectStatus = (route: string, res: request.Response, ok: (status: number) => boolean) => {
    if (!ok(res.status)) throw new Error(`${route}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  };

  type Req = { path: string; body?: unknown };
  type Entry =
    | { scope: 'object'; requests: () => Req[] }
    | { scope: 'list'; request: () => Req; mustShowA: boolean }
    | { scope: 'all-surveys'; request: () => Req }
    | { scope: 'none' };

  const testSend = { channel: 'email', kind: 'invitation', language: 'en', to: 'qa@acme.test' };
  const TABLE: Record<string, Entry> = {
    'GET /ops/distributions': {
      scope: 'list',
      request: () => ({ path: '/ops/distributions' }),
      mustShowA: true,
    },
    'GET /ops/cases/{id}': { scope: 'object', requests: () => [{ path: '/ops/cases/CASE-A' }] },
    'GET /ops/invites': { scope: 'list', request: () => ({ path: '/ops/invites' }), mustShowA: true },
    'GET /ops/invites/{id}': { scope: 'object', requests: () => [{ path: `/ops/invites/${fx.inviteA}` }] },
    'GET /ops/surveys': { scope: 'list', request: () => ({ path: '/ops/surveys' }), mustShowA: false },
    'GET /ops/distributions/{id}/funnel': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}/funnel?groupBy=channel` }],
    },
    'GET /ops/surveys/{id}/results': {
      scope: 'object',
      requests: () => [{ path: `/ops/surveys/${fx.surveyA}/results` }],
    },
    'GET /ops/sandbox/messages': { scope: 'all-surveys', request: () => ({ path: '/ops/sandbox/messages' }) },
    'POST /ops/api-keys': {
      scope: 'all-surveys',
      request: () => ({ path: '/ops/api-keys', body: { name: 'x', permissions: ['distribution:view'] } }),
    },
    'GET /ops/api-keys': { scope: 'all-surveys', request: () => ({ path: '/ops/api-keys' }) },
    'GET /ops/dead-letters': { scope: 'all-surveys', request: () => ({ path: '/ops/dead-letters' }) },
    'GET /ops/dead-letters/summary': {
      scope: 'all-surveys',
      request: () => ({ path: '/ops/dead-letters/summary' }),
    },
    'POST /ops/dead-letters/redrive': {
      scope: 'all-surveys',
      request: () => ({ path: '/ops/dead-letters/redrive', body: { all: true } }),
    },
    'POST /ops/webhooks': {
      scope: 'all-surveys',
      request: () => ({
        path: '/ops/webhooks',
        body: { name: 'x', url: 'https://crm.example.test/hook', events: ['invite.status'] },
      }),
    },
    'GET /ops/webhooks': { scope: 'all-surveys', request: () => ({ path: '/ops/webhooks' }) },
    'GET /ops/webhooks/{id}': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/webhooks/${randomUUID()}` }),
    },
    'PUT /ops/webhooks/{id}': {
      scope: 'all-surveys',
      request: () => ({
        path: `/ops/webhooks/${randomUUID()}`,
        body: { name: 'x', url: 'https://crm.example.test/hook', events: ['invite.status'] },
      }),
    },
    'DELETE /ops/webhooks/{id}': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/webhooks/${randomUUID()}` }),
    },
    'POST /ops/webhooks/{id}/rotate-secret': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/webhooks/${randomUUID()}/rotate-secret` }),
    },
    'GET /ops/webhooks/{id}/deliveries': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/webhooks/${randomUUID()}/deliveries` }),
    },
    'POST /ops/dead-letters/{id}/redrive': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/dead-letters/${randomUUID()}/redrive` }),
    },
    'GET /ops/api-keys/{id}': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/api-keys/${randomUUID()}` }),
    },
    'POST /ops/api-keys/{id}/revoke': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/api-keys/${randomUUID()}/revoke` }),
    },
    'POST /ops/api-keys/{id}/rotate': {
      scope: 'all-surveys',
      request: () => ({ path: `/ops/api-keys/${randomUUID()}/rotate` }),
    },
    'GET /ops/rules': { scope: 'list', request: () => ({ path: '/ops/rules' }), mustShowA: true },
    'POST /ops/rules': {
      scope: 'object',
      requests: () => [{ path: '/ops/rules', body: JSON.parse(fx.ruleBodyA) }],
    },
    'GET /ops/rules/{id}': { scope: 'object', requests: () => [{ path: `/ops/rules/${fx.ruleA}` }] },
    'PUT /ops/rules/{id}': {
      scope: 'object',
      requests: () => [
        // A's rule, even when the new definition only names B's distribution; and B's rule moved onto A's.
        { path: `/ops/rules/${fx.ruleA}`, body: JSON.parse(fx.ruleBodyB) },
        { path: `/ops/rules/${fx.ruleB}`, body: JSON.parse(fx.ruleBodyA) },
      ],
    },
    'GET /ops/rules/{id}/versions/{version}': {
      scope: 'object',
      requests: () => [{ path: `/ops/rules/${fx.ruleA}/versions/1` }],
    },
    'POST /ops/rules/{id}/enable': {
      scope: 'object',
      requests: () => [{ path: `/ops/rules/${fx.ruleA}/enable` }],
    },
    'POST /ops/rules/{id}/disable': {
      scope: 'object',
      requests: () => [{ path: `/ops/rules/${fx.ruleA}/disable` }],
    },
    'POST /ops/rules/{id}/dry-run': {
      scope: 'object',
      requests: () => [
        { path: `/ops/rules/${fx.ruleA}/dry-run`, body: { case: { caseId: 'CASE-A', fields: {} } } },
      ],
    },
    'GET /ops/rule-evaluations': {
      scope: 'list',
      request: () => ({ path: '/ops/rule-evaluations' }),
      mustShowA: false,
    },
    'POST /ops/surveys': {
      scope: 'all-surveys',
      request: () => ({ path: '/ops/surveys', body: { name: 'new' } }),
    },
    'PUT /ops/surveys/{id}': {
      scope: 'object',
      requests: () => [{ path: `/ops/surveys/${fx.surveyA}`, body: { name: 'A', status: 'closed' } }],
    },
    'GET /ops/surveys/{id}': { scope: 'object', requests: () => [{ path: `/ops/surveys/${fx.surveyA}` }] },
    'POST /ops/distributions': {
      scope: 'object',
      requests: () => [{ path: '/ops/distributions', body: { surveyId: fx.surveyA, name: 'another' } }],
    },
    'PUT /ops/distributions/{id}': {
      scope: 'object',
      requests: () => [
        { path: `/ops/distributions/${fx.distA}`, body: { surveyId: fx.surveyA, name: 'renamed' } },
      ],
    },
    'GET /ops/distributions/{id}': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}` }],
    },
    'POST /ops/links': {
      scope: 'object',
      requests: () => [
        {
          path: '/ops/links',
          body: { distributionId: fx.distA, caseId: 'CASE-A', contact: { id: 'crm-a' } },
        },
      ],
    },
    'POST /ops/links/{id}/sent': {
      scope: 'object',
      requests: () => [{ path: `/ops/links/${fx.linkA}/sent`, body: { channel: 'in_app' } }],
    },
    'GET /ops/distributions/{id}/stats': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}/stats` }],
    },
    'POST /ops/contacts': {
      scope: 'all-surveys',
      request: () => ({
        path: '/ops/contacts',
        body: { contacts: [{ id: 'crm-z', email: 'z@example.com' }] },
      }),
    },
    'POST /ops/segments': {
      scope: 'all-surveys',
      request: () => ({
        path: '/ops/segments',
        body: { name: 's', filter: { attribute: 'email', op: 'exists' } },
      }),
    },
    'POST /ops/distributions/{id}/bulk-links': {
      scope: 'object',
      requests: () => [
        { path: `/ops/distributions/${fx.distA}/bulk-links`, body: { segmentId: fx.segment } },
      ],
    },
    'POST /ops/responses/report': {
      scope: 'object',
      requests: () => [{ path: '/ops/responses/report', body: { ref: fx.refA, status: 'Completed' } }],
    },
    'GET /ops/distributions/{id}/responses': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}/responses` }],
    },
    'GET /ops/distributions/{id}/responses.csv': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}/responses.csv` }],
    },
    'POST /ops/links/{linkId}/response-status': {
      scope: 'object',
      requests: () => [{ path: `/ops/links/${fx.linkA}/response-status`, body: { status: 'Survey Opened' } }],
    },
    'GET /ops/distributions/{id}/templates': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}/templates` }],
    },
    'PUT /ops/distributions/{id}/templates': {
      scope: 'object',
      requests: () => [
        {
          path: `/ops/distributions/${fx.distA}/templates`,
          body: {
            channel: 'email',
            kind: 'reminder',
            language: 'en',
            subject: 'Reminder',
            text: '{{survey_link}}',
          },
        },
      ],
    },
    'POST /ops/distributions/{id}/preview': {
      scope: 'object',
      requests: () => [
        {
          path: `/ops/distributions/${fx.distA}/preview`,
          body: { channel: 'email', kind: 'invitation', language: 'en' },
        },
      ],
    },
    'POST /ops/distributions/{id}/test-send': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}/test-send`, body: testSend }],
    },
    'POST /ops/distributions/{id}/clone': {
      scope: 'object',
      requests: () => [{ path: `/ops/distributions/${fx.distA}/clone`, body: {} }],
    },
    'PUT /ops/distributions/{id}/channels': {
      scope: 'object',
      requests: () => [
        {
          path: `/ops/distributions/${fx.distA}/channels`,
          body: { accounts: { email: { fromEmail: 'x@acme.test' } } },
        },
      ],
    },
    'GET /ops/suppressions': { scope: 'all-surveys', request: () => ({ path: '/ops/suppressions' }) },
    'POST /ops/suppressions': {
      scope: 'all-surveys',
      request: () => ({ path: '/ops/suppressions', body: { channel: 'email', address: 'ada@example.com' } }),
    },
    'POST /ops/suppressions/lift': {
      scope: 'all-surveys',
      request: () => ({
        path: '/ops/suppressions/lift',
        body: { channel: 'email', address: 'ada@example.com' },
      }),
    },
    'GET /ops/quarantine-rules': { scope: 'all-surveys', request: () => ({ path: '/ops/quarantine-rules' }) },
    'POST /ops/quarantine-rules': {
      scope: 'all-surveys',
      request: () => ({
        path: '/ops/quarantine-rules',
        body: { name: 'q', maxInvites: 1, period: { amount: 30, unit: 'days' }, enabled: false },
      }),
    },
    'PUT /ops/quarantine-rules/{ruleId}': {
      scope: 'all-surveys',
      request: () => ({
        path: `/ops/quarantine-rules/${randomUUID()}`,
        body: { name: 'q', maxInvites: 1, period: { amount: 30, unit: 'days' }, enabled: false },
      }),
    },
    // Revocation last: the routes above still use A's link.
    'POST /ops/links/{id}/revoke': {
      scope: 'object',
      requests: () => [{ path: `/ops/links/${fx.linkA}/revoke` }],
    },
    'POST /events/cases': { scope: 'none' },
    'GET /ops/me': { scope: 'none' },
  };

  it('has an access entry for every route of the OpenAPI document', async () => {
    const doc = (
      await request(pipeline.gateway)
        .get('/docs/openapi.json')
        .set('Authorization', `Bearer ${admin}`)
        .expect(200)
    ).body as {
      paths: Record<string, Record<string, { 'x-fg-access'?: unknown }>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.filter((r) => !TABLE[r])).toEqual([]);
    expect(Object.keys(TABLE).filter((r) => !routes.includes(r))).toEqual([]);
    // Every route declares its requirement, published in the document.
    const undeclared = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !op['x-fg-access'])
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('refuses a key limited to survey B everything of survey A, and changes nothing', async () => {
    for (const [route, entry] of Object.entries(TABLE)) {
      if (entry.scope !== 'object') continue;
      const method = route.split(' ')[0].toLowerCase();
      for (const r of entry.requests()) {
        const before = await fingerprint();
        const res = await call(keyB, method, r.path, r.body);
        expectStatus(route, res, (s) => s === 403 || s === 404);
        expect({ route, rows: await fingerprint() }).toEqual({ route, rows: before });
      }
    }
  });

  it('refuses keys limited to surveys what every survey shares, and lets an unlimited key through', async () => {
    for (const [route, entry] of Object.entries(TABLE)) {
      if (entry.scope !== 'all-surveys') continue;
      const method = route.split(' ')[0].toLowerCase();
      const r = entry.request();
      const before = await fingerprint();
      for (const key of [keyA, keyB]) {
        const res = await call(key, method, r.path, r.body);
        expectStatus(route, res, (s) => s === 403);
      }
      expect({ route, rows: await fingerprint() }).toEqual({ route, rows: before });
      const res = await call(admin, method, r.path, r.body);
      expectStatus(route, res, (s) => s !== 401 && s !== 403);
    }
  });

  it("shows a limited key only its surveys' objects in lists", async () => {
    for (const [route, entry] of Object.entries(TABLE)) {
      if (entry.scope !== 'list') continue;
      const r = entry.request();
      const seenByB = JSON.stringify((await call(keyB, 'get', r.path).expect(200)).body);
      for (const id of [fx.distA, fx.ruleA, fx.linkA, fx.surveyA, fx.inviteA])
        expect({ route, leaks: seenByB.includes(id) }).toEqual({ route, leaks: false });
      if (entry.mustShowA) {
        const seenByA = JSON.stringify((await call(keyA, 'get', r.path).expect(200)).body);
        expect({ route, shows: seenByA.includes(fx.distA) }).toEqual({ route, shows: true });
        expect(seenByA.includes(fx.distB)).toBe(false);
      }
    }
  });

  it('lets a key limited to survey A do everything with survey A', async () => {
    for (const [route, entry] of Object.entries(TABLE)) {
      if (entry.scope !== 'object') continue;
      const method = route.split(' ')[0].toLowerCase();
      for (const r of entry.requests()) {
        if (r.path.includes(fx.ruleB) || JSON.stringify(r.body ?? {}).includes(fx.distB)) continue;
        const res = await call(keyA, method, r.path, r.body);
        expectStatus(route, res, (s) => s < 400);
      }
    }
  });

  it('tells any live key what it may do, and nothing without one', async () => {
    const keys = pipeline.apps.get('gateway')!.get(ApiKeyService);
    const viewer = (await keys.create('viewer', ['distribution:view'], [fx.surveyA])).key;
    const me = await call(viewer, 'get', '/ops/me').expect(200);
    expect(me.body).toMatchObject({
      name: 'viewer',
      permissions: ['distribution:view'],
      surveyIds: [fx.surveyA],
    });
    await request(pipeline.gateway).get('/ops/me').expect(401);
  });

  it('needs case-fields:configure for rules that write case fields', async () => {
    const keys = pipeline.apps.get('gateway')!.get(ApiKeyService);
    const rulesOnly = (await keys.create('rules only', ['rules:configure'])).key;
    const res = await call(rulesOnly, 'post', '/ops/rules', {
      ...JSON.parse(fx.ruleBodyA),
      actions: [{ type: 'set_field', field: 'custom.survey_state', value: 'sent' }],
    }).expect(403);
    expect(res.body.error.message).toContain('case-fields:configure');
    await call(rulesOnly, 'post', '/ops/rules', JSON.parse(fx.ruleBodyA)).expect(201);
  });

  it('creates, lists, rotates, expires and revokes keys over REST; the secret is shown only once', async () => {
    const created = await call(admin, 'post', '/ops/api-keys', {
      name: 'CRM',
      permissions: ['distribution:view'],
      surveyIds: [fx.surveyA],
    }).expect(201);
    const { id, key } = created.body;
    expect(key).toMatch(/^fgk_[A-Za-z0-9_-]{32}$/);
    expect(created.body).toMatchObject({
      prefix: key.slice(0, 8),
      surveyIds: [fx.surveyA],
      status: 'active',
    });
    await call(key, 'get', `/ops/distributions/${fx.distA}`).expect(200);
    await call(key, 'get', `/ops/distributions/${fx.distB}`).expect(403);
    await call(key, 'put', `/ops/surveys/${fx.surveyA}`, { name: 'A' }).expect(403); // view only

    const listed = await call(admin, 'get', '/ops/api-keys').expect(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(key);
    expect(text).not.toContain('keyHash');
    const row = listed.body.find((k: { id: string }) => k.id === id);
    expect(row.lastUsedAt).not.toBeNull();

    const rotated = await call(admin, 'post', `/ops/api-keys/${id}/rotate`).expect(200);
    expect(rotated.body.key).not.toBe(key);
    await call(key, 'get', `/ops/distributions/${fx.distA}`).expect(401);
    await call(rotated.body.key, 'get', `/ops/distributions/${fx.distA}`).expect(200);

    await call(admin, 'post', `/ops/api-keys/${id}/revoke`).expect(200);
    await call(rotated.body.key, 'get', `/ops/distributions/${fx.distA}`).expect(401);
    await call(admin, 'post', `/ops/api-keys/${id}/rotate`).expect(409);

    // A key can't hand out what it doesn't hold; expiry is enforced.
    const manager = (
      await call(admin, 'post', '/ops/api-keys', { name: 'mgr', permissions: ['api-keys:manage'] }).expect(
        201,
      )
    ).body.key;
    const escalate = await call(manager, 'post', '/ops/api-keys', {
      name: 'escalate',
      permissions: ['rules:configure'],
    }).expect(403);
    expect(escalate.body.error.details.fields[0].field).toBe('permissions');
    const bad = await call(admin, 'post', '/ops/api-keys', { name: 'x', permissions: ['root'] }).expect(400);
    expect(bad.body.error.details.fields[0].field).toBe('permissions.0');
    const soon = await call(admin, 'post', '/ops/api-keys', {
      name: 'short-lived',
      permissions: ['distribution:view'],
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    }).expect(201);
    await call(soon.body.key, 'get', '/ops/distributions').expect(200);
    await pipeline.ds.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      soon.body.id,
    ]);
    const expired = await call(soon.body.key, 'get', '/ops/distributions').expect(401);
    expect(expired.body.error.message).toContain('expired');
  });

  it('makes the first key from the CLI, and rotates, lists and revokes there too', async () => {
    const service = new ApiKeyService(new ApiKeyRepository(pipeline.ds), { now: () => new Date() });
    const out = await runKeysCli(['create', '--name', 'first admin', '--all'], service);
    const secret = /Secret \(shown once, store it now\): (fgk_\S+)/.exec(out)![1];
    const id = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)).id;
    await call(secret, 'get', '/ops/api-keys').expect(200);
    expect(await runKeysCli(['list'], service)).not.toContain(secret);
    const rotated = /New secret .*: (fgk_\S+)/.exec(await runKeysCli(['rotate', id], service))![1];
    await call(secret, 'get', '/ops/api-keys').expect(401);
    await call(rotated, 'get', '/ops/api-keys').expect(200);
    await runKeysCli(['revoke', id], service);
    await call(rotated, 'get', '/ops/api-keys').expect(401);
    await expect(runKeysCli(['create', '--name', 'x'], service)).rejects.toThrow('--all or at least one');
  });
});
