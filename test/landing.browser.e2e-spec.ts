import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Browser, Page, chromium } from 'playwright-core';
import request from 'supertest';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { HOUR, ManualClock } from './support/clock';
import { eventually } from './support/eventually';
import { Pipeline, testConfig } from './support/pipeline';

const PUBLIC = 'https://surveys.example.test';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The landing pages and the hosted survey as a respondent sees them: Debian's Chromium, headless, driven by
 * playwright-core, against the gateway listening on a local port.
 */
describe('survey pages in a real browser', () => {
  const clock = new ManualClock();
  let pipeline: Pipeline;
  let browser: Browser;
  let base: string;
  let key: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`,
      );
    pipeline = await new Pipeline(
      testConfig({ PUBLIC_BASE_URL: PUBLIC, SENDGRID_WEBHOOK_PUBLIC_KEY: undefined }),
      clock,
    ).start(['gateway']);
    const app = pipeline.apps.get('gateway')!;
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    key = (await app.get(ApiKeyService).create('browser', ['distribution:edit', 'distribution:view'])).key;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.close();
  });

  const api = (path: string, body: unknown) =>
    request(pipeline.gateway)
      .post(path)
      .set('Authorization', `Bearer ${key}`)
      .send(body as object);

  async function linkFor(settings: Record<string, unknown>, language = 'en') {
    const survey = await api('/ops/surveys', {
      name: 'Support survey',
      languages: ['en', 'fr'],
      questions: [
        {
          id: 'nps',
          type: 'nps',
          required: true,
          label: { en: 'How likely are you to recommend us?', fr: 'Nous recommanderiez-vous ?' },
        },
        {
          id: 'channel',
          type: 'single_choice',
          label: { en: 'How did you reach us?', fr: 'Comment nous avez-vous contactés ?' },
          options: [
            { value: 'phone', label: { en: 'Phone', fr: 'Téléphone' } },
            { value: 'chat', label: { en: 'Chat', fr: 'Messagerie' } },
          ],
        },
        { id: 'comment', type: 'free_text', label: { en: 'Anything else?', fr: 'Autre chose ?' } },
      ],
    }).expect(201);
    const d = await api('/ops/distributions', { surveyId: survey.body.id, name: 'D', ...settings }).expect(
      201,
    );
    const l = await api('/ops/links', {
      distributionId: d.body.id,
      contact: { id: `c-${randomUUID()}`, name: 'Ada Lovelace', language },
    }).expect(201);
    return { linkId: l.body.linkId as string, url: `${base}${(l.body.url as string).slice(PUBLIC.length)}` };
  }

  const statusOf = async (linkId: string) =>
    (
      (await pipeline.ds.query(`SELECT response_status FROM survey_links WHERE id = $1`, [linkId]))[0] as {
        response_status: string;
      }
    ).response_status;

  async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
    const page = await browser.newPage();
    try {
      return await fn(page);
    } finally {
      await page.close();
    }
  }

  it('shows the whole survey, keeps saved progress across a reload, and thanks on submit', async () => {
    const { linkId, url } = await linkFor({ format: 'standard' });
    await withPage(async (page) => {
      const res = await page.goto(url);
      expect(res!.status()).toBe(200);
      expect(await page.title()).toBe('Support survey');
      expect(await page.locator('legend').allTextContents()).toEqual([
        'How likely are you to recommend us? *(required)',
        'How did you reach us?',
        'Anything else?',
      ]);
      // The beacon: the page has been visible a moment (a person, not a scanner's fetch).
      await eventually(async () => expect(await statusOf(linkId)).toBe('Survey Opened'));
      await page.getByLabel('9', { exact: true }).check();
      await page.getByLabel('Chat').check();
      await page.locator('textarea[name="q.comment"]').fill('Quick & friendly <3');
      await page.getByRole('button', { name: 'Save progress' }).click();
      await page.waitForLoadState();
      expect(await statusOf(linkId)).toBe('Partially Completed');
      await page.reload();
      expect(await page.getByLabel('9', { exact: true }).isChecked()).toBe(true);
      expect(await page.getByLabel('Chat').isChecked()).toBe(true);
      expect(await page.locator('textarea[name="q.comment"]').inputValue()).toBe('Quick & friendly <3');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.getByRole('heading', { name: 'Thank you!' }).waitFor();
      expect(await statusOf(linkId)).toBe('Completed');
    });
  });

  it('asks one question at a time in the conversational format, all in the link’s language', async () => {
    const { linkId, url } = await linkFor(
      { format: 'conversational', submissionLimit: { allowed: 1 } },
      'fr',
    );
    await withPage(async (page) => {
      await page.goto(url);
      expect(await page.locator('html').getAttribute('lang')).toBe('fr');
      expect(await page.locator('.progress').innerText()).toBe('Question 1 sur 3');
      expect(await page.locator('legend').allTextContents()).toEqual([
        'Nous recommanderiez-vous ? *(obligatoire)',
      ]);
      // A required question has no Skip.
      expect(await page.getByRole('button', { name: 'Passer' }).count()).toBe(0);
      await page.getByLabel('8', { exact: true }).check();
      await page.getByRole('button', { name: 'Suivant' }).click();
      await page.locator('.progress', { hasText: 'Question 2 sur 3' }).waitFor();
      // Each step is saved, and says so.
      await page.getByRole('status').filter({ hasText: 'Vos réponses sont enregistrées' }).waitFor();
      expect(await page.locator('.asked').innerText()).toContain('8');
      // An optional question can be skipped (it moves on), and Back returns to it.
      await page.getByRole('button', { name: 'Passer' }).click();
      await page.locator('.progress', { hasText: 'Question 3 sur 3' }).waitFor();
      await page.getByRole('button', { name: 'Retour' }).click();
      await page.locator('.progress', { hasText: 'Question 2 sur 3' }).waitFor();
      await page.getByLabel('Téléphone').check();
      await page.getByRole('button', { name: 'Suivant' }).click();
      await page.locator('.progress', { hasText: 'Question 3 sur 3' }).waitFor();
      await page.locator('textarea').fill('Merci');
      await page.getByRole('button', { name: 'Envoyer' }).click();
      await page.getByRole('heading', { name: 'Merci !' }).waitFor();
      expect(await statusOf(linkId)).toBe('Completed');
      // The one allowed submission is used: the link now says so.
      const again = await page.goto(url);
      expect(again!.status()).toBe(403);
      expect(await page.locator('h1').innerText()).toBe('Vous avez déjà répondu');
    });
    const [r] = await pipeline.ds.query(`SELECT answers FROM responses WHERE link_id = $1`, [linkId]);
    expect(r.answers).toEqual({ nps: 8, channel: 'phone', comment: 'Merci' });
  });

  it('shows its own page for unknown, not-yet-open and expired links', async () => {
    const soon = await linkFor({
      startsAt: new Date(clock.now().getTime() + HOUR).toISOString(),
      expiry: { mode: 'dynamic', amount: 3, unit: 'hours' },
    });
    await withPage(async (page) => {
      const unknown = await page.goto(`${base}/s/${'Z'.repeat(22)}`);
      expect(unknown!.status()).toBe(404);
      expect(await page.locator('h1').innerText()).toBe('This link is not valid');
      const notYet = await page.goto(soon.url);
      expect(notYet!.status()).toBe(403);
      expect(await page.locator('h1').innerText()).toBe('This survey is not open yet');
      clock.advance(4 * HOUR);
      const expired = await page.goto(soon.url);
      expect(expired!.status()).toBe(410);
      expect(await page.locator('h1').innerText()).toBe('This survey link has expired');
      await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/fg-expired-page.png` });
    });
  });
});
