import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DEMO } from '../apps/embedded/src/demo-data';
import { Embedded, startEmbedded } from '../apps/embedded/src/embedded';
import { freePort } from './kafka/broker';
import { eventually } from './support/eventually';

/** `npm start`'s mode: PGlite over the wire protocol, in-process transport, sandbox providers, demo data. */
describe('embedded mode', () => {
  // A data directory anyone could enter, as `mkdir .data` under a lax umask makes it.
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-embedded-'));
  chmodSync(dataDir, 0o777);
  let e: Embedded | undefined;

  afterAll(async () => {
    await e?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () =>
    startEmbedded({ dataDir, port: await freePort(), env: { LOG_LEVEL: 'error' }, logger: false });
  const auth = () => ({ Authorization: `Bearer ${e!.demoApiKey}` });
  const event = (id: string) => ({
    specversion: '1.0',
    id,
    source: 'demo-crm',
    type: 'case.updated',
    data: {
      caseId: 'CASE-1001',
      caseNumber: '1001',
      fields: { status: 'Resolved' },
      contact: { name: 'Ada Lovelace', email: 'ada@example.com', language: 'fr' },
    },
  });

  it('runs the demo case from an HTTP CloudEvent to a kept email, and keeps everything across a restart', async () => {
    e = await start();
    const server = e.app.getHttpServer();
    await request(server)
      .post('/events/cases')
      .set(auth())
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify(event('demo-1')))
      .expect(202, { id: 'demo-1', source: 'demo-crm' });

    const [mail] = await eventually(async () => {
      const res = await request(server).get('/ops/sandbox/messages').set(auth()).expect(200);
      expect(res.body).toHaveLength(1);
      return res.body as { to: string; subject: string; text: string }[];
    });
    expect(mail.to).toBe('ada@example.com');
    expect(mail.subject).toBe('Comment avons-nous traité le dossier 1001 ?');
    const link = /(http:\/\/localhost:\d+)(\/s\/[A-Za-z0-9_-]{22})/.exec(mail.text)!;
    expect(link).not.toBeNull();

    const kase = await request(server).get('/ops/cases/CASE-1001').set(auth()).expect(200);
    expect(kase.body.customFields.survey_link).toBe(link[0]);
    const invites = await request(server).get('/ops/invites?caseId=CASE-1001').set(auth()).expect(200);
    expect(invites.body).toMatchObject([
      { status: 'Invite Sent', channel: 'email', distributionId: DEMO.distributionId },
    ]);
    // A dump of the database holds no working link: the case field, the kept email and every other table store a
    // reference (shown as the URL above, derived again from the link's nonce and the signing secret).
    const token = link[2].slice('/s/'.length);
    const ds = e.app.get(DataSource);
    await eventually(async () => expect(await ds.query(`SELECT 1 FROM outbox`)).toEqual([]));
    const tables: { table_name: string }[] = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(20);
    for (const { table_name } of tables) {
      const hits = await ds.query(`SELECT 1 FROM "${table_name}" t WHERE t::text LIKE $1`, [`%${token}%`]);
      expect([table_name, hits.length]).toEqual([table_name, 0]);
    }
    const page = await request(server).get(link[2]).expect(200);
    expect(page.text).toContain('Quelle est la probabilité que vous nous recommandiez ?');

    await e.stop();
    e = await start();
    const again = e.app.getHttpServer();
    // The same event after the restart: nothing new is sent.
    await request(again)
      .post('/events/cases')
      .set(auth())
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify(event('demo-1')))
      .expect(202);
    await request(again).get(link[2]).expect(200);
    const after = await request(again).get('/ops/sandbox/messages').set(auth()).expect(200);
    expect(after.body).toHaveLength(1);
    // The same link, on this run's base URL (derived from the stored reference, not a stored copy).
    expect((await request(again).get('/ops/cases/CASE-1001').set(auth())).body.customFields.survey_link).toBe(
      `${e.baseUrl}${link[2]}`,
    );
  });

  it('simulates receipts in the sandbox: delivered, opened, bounced (and suppressed) show in the funnel', async () => {
    e ??= await start();
    const server = e.app.getHttpServer();
    const resolve = (caseId: string, email: string) =>
      request(server)
        .post('/events/cases')
        .set(auth())
        .set('Content-Type', 'application/cloudevents+json')
        .send(
          JSON.stringify({
            ...event(`sim-${caseId}`),
            data: { caseId, fields: { status: 'Resolved' }, contact: { name: 'Sam', email } },
          }),
        )
        .expect(202);
    await resolve('SIM-OPEN', 'open@example.com');
    await resolve('SIM-BOUNCE', 'bounce@example.com');
    const inviteOf = async (caseId: string) =>
      (await request(server).get(`/ops/invites?caseId=${caseId}`).set(auth()).expect(200)).body[0];
    await eventually(async () => {
      expect(await inviteOf('SIM-OPEN')).toMatchObject({ status: 'Invite Opened', deliveryStatus: 'opened' });
      expect(await inviteOf('SIM-BOUNCE')).toMatchObject({
        status: 'Failed',
        reason: expect.stringMatching(/^BOUNCED: /),
      });
    }, 20_000);
    const suppressed = await request(server).get('/ops/suppressions?channel=email').set(auth()).expect(200);
    expect(JSON.stringify(suppressed.body)).toContain('hard bounce');
    // The timeline shows the receipts the sandbox reported.
    const timeline = await request(server)
      .get(`/ops/invites/${(await inviteOf('SIM-OPEN')).id}`)
      .set(auth())
      .expect(200);
    expect(timeline.body.receipts.map((r: { event: string }) => r.event)).toEqual([
      'accepted',
      'delivered',
      'open',
    ]);
    const funnel = await request(server)
      .get(`/ops/distributions/${DEMO.distributionId}/funnel`)
      .set(auth())
      .expect(200);
    expect(funnel.body.total.counts).toMatchObject({ delivered: expect.any(Number), opened: 1 });
    expect(funnel.body.failures).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: 'Failed', reasonCode: 'BOUNCED' })]),
    );
    // …and the Prometheus counters the Grafana dashboard charts.
    const metrics = await request(server).get('/metrics').set(auth()).expect(200);
    const sample = (name: string, ...labels: string[]) =>
      metrics.text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)))
        .map((l) => Number(l.split(' ').pop()));
    expect(sample('fg_funnel_total', 'stage="opened"', 'channel="email"')).toEqual([1]);
    expect(sample('fg_invites_not_sent_total', 'status="Failed"', 'reason_code="BOUNCED"')).toEqual([1]);
  });

  it('answers bad input with a 400 naming the field, and unknown links with 404', async () => {
    e ??= await start();
    const server = e.app.getHttpServer();
    const bad = await request(server)
      .post('/events/cases')
      .set(auth())
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify({ ...event('bad-1'), data: { fields: { status: 'Resolved' } } }))
      .expect(400);
    expect(bad.body.error.message).toContain('caseId: Required');
    await request(server).get('/s/AAAAAAAAAAAAAAAAAAAAAA').expect(404);
    await request(server).get('/s/short').expect(404);
  });

  it('keeps its data and secrets readable by their owner only, whatever the umask', async () => {
    e ??= await start();
    const server = e.app.getHttpServer();
    // Write something after start, so files created at runtime are covered too.
    await request(server)
      .post('/events/cases')
      .set(auth())
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify(event('modes-1')))
      .expect(202);
    // The directory is the owner's alone (nothing in it is reachable by anyone else), nothing in it is writable by
    // others, and the secrets are not even readable.
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const writable: string[] = [];
    const walk = (p: string) => {
      const st = statSync(p);
      if (st.mode & 0o022) writable.push(`${p} ${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    };
    walk(dataDir);
    expect(writable).toEqual([]);
  });
});
