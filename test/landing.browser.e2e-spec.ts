import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Browser, Page, chromium } from 'playwright-core';
import request from 'supertest';
import { UnsubscribeLinks } from '@fg/links';
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
      languages: ['en', 'fr', 'ar'],
      questions: [
        {
          id: 'nps',
          type: 'nps',
          required: true,
          label: {
            en: 'How likely are you to recommend us?',
            fr: 'Nous recommanderiez-vous ?',
            ar: 'ما مدى احتمال أن توصي بنا؟',
          },
        },
        {
          id: 'channel',
          type: 'single_choice',
          label: {
            en: 'How did you reach us?',
            fr: 'Comment nous avez-vous contactés ?',
            ar: 'كيف تواصلت معنا؟',
          },
          options: [
            { value: 'phone', label: { en: 'Phone', fr: 'Téléphone', ar: 'الهاتف' } },
            { value: 'chat', label: { en: 'Chat', fr: 'Messagerie', ar: 'الدردشة' } },
          ],
        },
        {
          id: 'comment',
          type: 'free_text',
          label: { en: 'Anything else?', fr: 'Autre chose ?', ar: 'هل من شيء آخر؟' },
        },
      ],
    }).expect(201);
    const d = await api('/ops/distributions', { surveyId: survey.body.id, name: 'D', ...settings }).expect(
      201,
    );
    const l = await api('/ops/links', {
      distributionId: d.body.id,
      contact: { id: `c-${randomUUID()}`, name: 'Ada Lovelace', language },
    }).expect(201);
    return {
      linkId: l.body.linkId as string,
      url: `${base}${(l.body.url as string).slice(PUBLIC.length)}`,
      surveyId: survey.body.id as string,
      distributionId: d.body.id as string,
    };
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

  const SHOTS = join(__dirname, '..', 'test-output', 'pages');
  const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

  /** At 390×844 and 1280×800: no sideways scroll, axe-core without serious or critical violations; screenshots. */
  async function checkPage(page: Page, name: string) {
    mkdirSync(SHOTS, { recursive: true });
    for (const [width, height] of [
      [390, 844],
      [1280, 800],
    ]) {
      await page.setViewportSize({ width, height });
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect({ name, width, overflow: overflow > 0 }).toEqual({ name, width, overflow: false });
      await page.evaluate(AXE);
      const serious = await page.evaluate<{ id: string; nodes: string[] }[]>(
        `axe.run({ resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
      );
      expect({ name, width, serious }).toEqual({ name, width, serious: [] });
      await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    }
  }

  it('renders every page and state on a phone and a desktop in English, French and Arabic (right to left)', async () => {
    const unsubscribes = new UnsubscribeLinks(pipeline.config.LINK_SIGNING_SECRET, PUBLIC);
    const titles: Record<string, Record<string, string>> = {};
    const later: { lang: string; url: string }[] = [];
    for (const lang of ['en', 'fr', 'ar']) {
      const standard = await linkFor(
        {
          format: 'standard',
          branding: {
            logoUrl: 'https://cdn.example.test/acme.png',
            accentColor: '#b31b1b',
            senderName: 'Acme Support',
          },
        },
        lang,
      );
      const conversational = await linkFor({ format: 'conversational' }, lang);
      const answered = await linkFor({ format: 'standard', submissionLimit: { allowed: 1 } }, lang);
      await request(pipeline.gateway)
        .post(new URL(answered.url).pathname)
        .type('form')
        .send({ 'q.nps': '9', action: 'submit' })
        .expect(200);
      const soon = await linkFor(
        {
          startsAt: new Date(clock.now().getTime() + HOUR).toISOString(),
          expiry: { mode: 'dynamic', amount: 3, unit: 'hours' },
        },
        lang,
      );
      later.push({ lang, url: soon.url });
      const closed = await linkFor({ format: 'standard' }, lang);
      await request(pipeline.gateway)
        .put(`/ops/surveys/${closed.surveyId}`)
        .set('Authorization', `Bearer ${key}`)
        .send({ name: 'Support survey', languages: ['en'], questions: [], status: 'closed' })
        .expect(200);
      const inviteId = randomUUID();
      await pipeline.ds.query(
        `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                              status, delivery_status)
         VALUES ($1, $2, $3, $4, $5, 'email', 'invitation', $6, 'ada@example.com', 'Invite Sent', 'delivered')`,
        [inviteId, randomUUID(), standard.linkId, standard.distributionId, `case-${inviteId}`, lang],
      );
      const pages: [string, string, number][] = [
        ['survey', standard.url, 200],
        ['conversational', conversational.url, 200],
        ['already-answered', answered.url, 403],
        ['not-open-yet', soon.url, 403],
        ['closed', closed.url, 410],
        ['unknown', `${base}/s/${'Z'.repeat(22)}`, 404],
        ['unsubscribe', `${base}${new URL(unsubscribes.urlFor(inviteId)).pathname}`, 200],
      ];
      // The browser asks for the same language (the unknown link has no language of its own).
      const context = await browser.newContext({
        locale: lang,
        extraHTTPHeaders: { 'Accept-Language': lang },
      });
      const page = await context.newPage();
      titles[lang] = {};
      for (const [name, url, status] of pages) {
        const res = await page.goto(url);
        expect({ name, lang, status: res!.status() }).toEqual({ name, lang, status });
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        expect(await page.locator('html').getAttribute('dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr');
        titles[lang][name] = await page.locator('h1').innerText();
        if (name === 'survey') {
          // The distribution's look: its name and logo, its colour on the main button (text readable on it).
          expect(await page.locator('.sender').innerText()).toBe('Acme Support');
          expect(await page.locator('img.logo').getAttribute('alt')).toBe('Acme Support');
          expect(
            await page.evaluate<string>(
              `getComputedStyle(document.querySelector('button.primary')).backgroundColor`,
            ),
          ).toBe('rgb(179, 27, 27)');
          expect(
            await page.evaluate<string>(`getComputedStyle(document.querySelector('button.primary')).color`),
          ).toBe('rgb(255, 255, 255)');
        }
        await checkPage(page, `${lang}-${name}`);
      }
      await context.close();
    }
    // Every page speaks the respondent's language: no two languages show the same title for a state.
    for (const name of ['already-answered', 'not-open-yet', 'closed', 'unknown', 'unsubscribe'])
      expect(new Set(['en', 'fr', 'ar'].map((l) => titles[l][name])).size).toBe(3);
    expect(titles.fr['already-answered']).toBe('Vous avez déjà répondu');
    expect(titles.ar['closed']).toBe('هذا الاستبيان مغلق');

    clock.advance(4 * HOUR);
    for (const { lang, url } of later) {
      const context = await browser.newContext({ locale: lang });
      const page = await context.newPage();
      expect((await page.goto(url))!.status()).toBe(410);
      await checkPage(page, `${lang}-expired`);
      await context.close();
    }
  });

  it('can be completed with the keyboard alone, in English and in Arabic, and says thank you in that language', async () => {
    for (const [lang, thanks] of [
      ['en', 'Thank you!'],
      ['ar', 'شكرًا لك!'],
    ]) {
      const { url, linkId } = await linkFor({ format: 'standard' }, lang);
      await withPage(async (page) => {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(url);
        // Tab into the 0–10 scale, arrows choose (9), Tab to the choices, arrow to the second, Tab to the text.
        await page.keyboard.press('Tab');
        for (let i = 0; i < 9; i++) await page.keyboard.press(lang === 'ar' ? 'ArrowLeft' : 'ArrowRight');
        await page.keyboard.press('Tab');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Tab');
        await page.keyboard.type('OK');
        await page.keyboard.press('Tab'); // Save progress
        await page.keyboard.press('Tab'); // Submit
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { name: thanks }).waitFor();
        await checkPage(page, `${lang}-thank-you`);
      });
      const [r] = await pipeline.ds.query(`SELECT answers FROM responses WHERE link_id = $1`, [linkId]);
      expect(r.answers).toEqual({ nps: 9, channel: 'chat', comment: 'OK' });
      expect(await statusOf(linkId)).toBe('Completed');
    }
  });
});
