import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import request from 'supertest';
import { MessageTransport, TopicNames } from '@fg/messaging';
import { DEMO } from '../apps/embedded/src/demo-data';
import { Embedded, startEmbedded } from '../apps/embedded/src/embedded';
import { consoleDir } from '../apps/gateway/src/console/console.middleware';
import { freePort } from './kafka/broker';
import { eventually } from './support/eventually';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** Screenshots of every screen at 1280 and 390 px wide, kept with the test output (CI uploads the directory). */
const SHOTS = join(__dirname, '..', 'test-output', 'console');

/**
 * The operator console as an operator uses it, in headless Chromium against `npm start`'s system (embedded mode:
 * sandbox providers with simulated receipts): sign in, create a distribution, write a rule with a validation
 * error then fix it, dry-run it, fire a case, watch it move through the funnel, open the invite timeline, read the
 * NPS, redrive a dead letter. axe-core finds no serious or critical violation on any screen.
 */
describe('operator console in a real browser', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-console-'));
  let e: Embedded;
  let browser: Browser;
  let page: Page;
  const shots: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    if (!consoleDir()) throw new Error('the console is not built: npm run build:console (npm test does it)');
    mkdirSync(SHOTS, { recursive: true });
    e = await startEmbedded({ dataDir, port: await freePort(), env: { LOG_LEVEL: 'error' }, logger: false });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await e?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (shots.length)
      process.stdout.write(`console screenshots:\n${shots.map((s) => `  ${s}`).join('\n')}\n`);
  });

  /** axe-core on the screen as it is: no serious or critical violation; then screenshots at both widths. */
  async function check(screen: string) {
    // Evaluated over the DevTools protocol: the console's CSP (own scripts only) stays on.
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate<{ id: string; impact: string; help: string; nodes: string[] }[]>(
      `axe.run({ resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
    );
    expect({
      screen,
      serious: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    }).toEqual({
      screen,
      serious: [],
    });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      // Nothing but tables (which scroll inside their own region) may make the page scroll sideways on a phone.
      // Charts re-measure on the resize (ResizeObserver): give the layout up to 3 s to settle, then measure.
      await page
        .waitForFunction('document.documentElement.scrollWidth <= window.innerWidth', undefined, {
          timeout: 3000,
        })
        .catch(() => undefined);
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect({ screen, width, overflow: overflow > 0 }).toEqual({ screen, width, overflow: false });
      const file = join(SHOTS, `${screen}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  it('signs in with an API key (and refuses a wrong one), from / and the printed URL', async () => {
    await page.goto(`${e.baseUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/console/');
    await check('sign-in');
    await page.getByLabel('API key').fill('fgk_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /API key/i })
      .waitFor();
    await page.getByLabel('API key').fill(e.demoApiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Distributions' }).waitFor();
    await page.getByRole('link', { name: 'Resolved cases (email)' }).waitFor();
    await check('distributions');
  });

  it('creates a distribution with its settings', async () => {
    await page.getByRole('link', { name: 'New distribution' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Escalations (email)');
    await page.getByLabel('Expiry').selectOption('dynamic');
    await page.getByRole('button', { name: 'Create distribution' }).click();
    await page.getByRole('heading', { name: 'Escalations (email)' }).waitFor();
    expect(page.url()).toMatch(/\/console\/distributions\/[0-9a-f-]{36}\/settings$/);
    await page.getByText('draft: becomes active when an enabled rule references it').waitFor();
    await check('distribution-settings');
  });

  it('writes a rule: the validation errors show where they are, then it saves and dry-runs', async () => {
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('button', { name: 'Add action' }).click();
    await page.getByRole('group', { name: 'All of' }).getByLabel('Value').fill('Escalated');
    // No name and no distribution for the action: the API's 400 lands on those two fields.
    await page.locator('.action').getByLabel('Distribution').selectOption('');
    await page.getByRole('button', { name: 'Create rule' }).click();
    const nameField = page.locator('.field.invalid', { has: page.getByLabel('Name', { exact: true }) });
    await nameField.getByRole('alert').waitFor();
    const distField = page.locator('.action .field.invalid', { has: page.getByLabel('Distribution') });
    await expect(distField.getByRole('alert').textContent()).resolves.toMatch(/UUID/);
    await check('rule-errors');

    await page.getByLabel('Name', { exact: true }).fill('Survey escalations');
    await page.locator('.action').getByLabel('Distribution').selectOption({ label: 'Escalations (email)' });
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { name: 'Rule: Survey escalations' }).waitFor();
    expect(await page.locator('.field.invalid').count()).toBe(0);

    // The sample case is Resolved, not Escalated: the trace says why it does not match.
    await page.getByRole('button', { name: 'Run dry run' }).click();
    await expect(page.getByTestId('dry-run-outcome').textContent()).resolves.toBe('Does not match');
    await page.getByText('status changed_to "Escalated"', { exact: false }).first().waitFor();
    await check('rule-dry-run');
  });

  it('sends a case from the console, shows it move through the funnel, its invite timeline, and the NPS once answered', async () => {
    // The demo rule's dry-run panel sends its sample as a real case event (as the CRM would).
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('link', { name: 'Survey resolved cases' }).click();
    await page.getByLabel('Sample case (JSON)').fill(
      JSON.stringify({
        caseId: 'C-77',
        caseNumber: '77',
        fields: { status: 'Resolved' },
        previous: { status: 'Open' },
        contact: { name: 'Grace', email: 'open@example.com' },
      }),
    );
    await page.getByRole('button', { name: 'Send as a real case event' }).click();
    await page.getByRole('status').filter({ hasText: 'follow case C-77' }).waitFor();
    await page.getByRole('link', { name: 'Distributions' }).click();
    await page.getByRole('link', { name: 'Resolved cases (email)' }).click();
    // The sandbox reports delivered, then the open: the funnel shows both (reloaded as an operator would).
    await eventually(async () => {
      await page.reload();
      await page.locator('[data-stage="opened"] .stage-count').waitFor();
      expect(await page.locator('[data-stage="sent"] .stage-count').textContent()).toBe('1');
      expect(await page.locator('[data-stage="delivered"] .stage-count').textContent()).toBe('1');
      expect(await page.locator('[data-stage="opened"] .stage-count').textContent()).toBe('1');
    }, 30_000);
    await check('funnel');

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByLabel('Case id').fill('C-77');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'C-77' }).click();
    await page.getByRole('heading', { name: 'Invite for case C-77' }).waitFor();
    await page.getByText('receipt: delivered').waitFor();
    await page.getByText('receipt: open').waitFor();
    await check('invite-timeline');

    // The customer answers the survey (9: a promoter).
    const sent = await request(e.app.getHttpServer())
      .get('/ops/sandbox/messages')
      .set('Authorization', `Bearer ${e.demoApiKey}`)
      .expect(200);
    const mail = (sent.body as { to: string; text: string }[]).find((m) => m.to === 'open@example.com')!;
    const path = /\/s\/[A-Za-z0-9_-]{22}/.exec(mail.text)![0];
    await request(e.app.getHttpServer())
      .post(path)
      .type('form')
      .send({ 'q.nps': '9', action: 'submit' })
      .expect(200);
    await page.goto(`${e.baseUrl}/console/distributions/${DEMO.distributionId}/results`);
    await eventually(async () => {
      await page.reload();
      await expect(page.getByTestId('response-count').textContent()).resolves.toBe('1');
    });
    await expect(page.getByTestId('nps-nps').textContent()).resolves.toMatch(/NPS\s*100/);
    await check('results');
  });

  it('lists a dead letter with its reason and redrives it', async () => {
    const topics = e.app.get(TopicNames);
    await e.app
      .get(MessageTransport)
      .publish([
        { topic: topics.of('caseEvents'), key: 'BROKEN', value: Buffer.from('{not json'), headers: {} },
      ]);
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await eventually(async () => {
      await page.reload();
      await page.getByRole('button', { name: 'Redrive', exact: true }).first().waitFor({ timeout: 1000 });
    });
    await check('dead-letters');
    await page.getByRole('button', { name: 'Redrive', exact: true }).first().click();
    await page.getByRole('status').filter({ hasText: 'Redriven 1' }).waitFor();
  });

  it('shows the API keys, suppressions and templates screens accessibly', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name', { exact: true }).fill('CRM');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByTestId('new-secret').textContent()).resolves.toMatch(/^fgk_/);
    await check('api-keys');
    await page.getByRole('link', { name: 'Suppressions' }).click();
    await page.getByRole('heading', { name: 'Quarantine rules' }).waitFor();
    await check('suppressions');
    await page.goto(`${e.baseUrl}/console/distributions/${DEMO.distributionId}/templates`);
    await page.getByRole('button', { name: 'Edit email invitation en' }).click();
    await page.getByText('Subject:').waitFor();
    // The preview follows what is typed, before anything is saved.
    await page
      .getByLabel('Subject', { exact: true })
      .fill('How was case {{case_number}}, {{customer_name}}?');
    await page.locator('.preview').getByText('How was case').waitFor();
    await check('templates');
  });
});
