import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import request from 'supertest';
import { Topics, deadLetterTopicOf } from '@fg/contracts';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { eventually } from './support/eventually';
import { KafkaTestClient, TopicWatch } from './support/kafka';
import { Fixture, Pipeline, resolvedCaseEvent, seedSurveyFixture, testConfig } from './support/pipeline';
import { SendGridStub, SendGridWebhookSigner, sendGridMailSendValidator } from './support/sendgrid-stub';

/**
 * Issue #2's flow on the real engines: a case event on Kafka → rules → link-issuer → sender-email → SendGrid
 * (local stub, real @sendgrid/mail client) → signed delivery receipt to the gateway → invite status event.
 */
describe('one case end to end over Kafka and Postgres', () => {
  const sendgrid = new SendGridStub();
  const signer = new SendGridWebhookSigner();
  const kafka = new KafkaTestClient();
  const validateMailSend = sendGridMailSendValidator();
  let pipeline: Pipeline;
  let f: Fixture;
  let topic: (k: keyof typeof Topics) => string;
  let fieldUpdates: TopicWatch;
  let inviteStatus: TopicWatch;
  let responseStatus: TopicWatch;
  let caseEvents: TopicWatch;
  // What an OTLP exporter would send (OpenTelemetry with its default W3C propagator and async context).
  const spans = new InMemorySpanExporter();
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).register();

  beforeAll(async () => {
    await sendgrid.start();
    const config = testConfig({
      SENDGRID_API_KEY: 'SG.test-key',
      SENDGRID_API_BASE_URL: sendgrid.url,
      SENDGRID_WEBHOOK_PUBLIC_KEY: signer.publicKeyBase64,
    });
    topic = (k) => `${config.KAFKA_TOPIC_PREFIX}${Topics[k].name}`;
    pipeline = await new Pipeline(config).start();
    f = await seedSurveyFixture(pipeline.ds);
    fieldUpdates = await kafka.watch(topic('caseFieldUpdates'));
    inviteStatus = await kafka.watch(topic('inviteStatus'));
    responseStatus = await kafka.watch(topic('responseStatus'));
    caseEvents = await kafka.watch(topic('caseEvents'));
  });

  afterAll(async () => {
    await kafka.close();
    await pipeline?.close();
    await sendgrid.close();
  });

  const invitesOf = (caseId: string) =>
    pipeline.ds.query<Record<string, unknown>[]>(`SELECT * FROM invites WHERE case_id = $1`, [caseId]);
  const mailsTo = (caseId: string) =>
    sendgrid.requests.filter(
      (r) => JSON.stringify(r.body).includes(`"invite_id"`) && r.body && caseMail(r.body, caseId),
    );
  const caseMail = (body: Record<string, unknown>, caseId: string) =>
    JSON.stringify(body).includes(caseId.slice(0, 8));

  it('issues one link, stores it on the case, emails it through SendGrid, and tracks the delivery receipt', async () => {
    const caseId = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [resolvedCaseEvent(f, caseId)]);

    // SendGrid received one request, valid against its OpenAPI document, carrying our correlation id.
    const mail = await eventually(() => {
      const m = mailsTo(caseId);
      expect(m).toHaveLength(1);
      return m[0];
    });
    expect(mail.method).toBe('POST');
    expect(mail.path).toBe('/v3/mail/send');
    expect(mail.headers.authorization).toBe('Bearer SG.test-key');
    expect(validateMailSend(mail.body)).toEqual([]);
    const body = mail.body as {
      personalizations: { to: { email: string }[]; custom_args: { invite_id: string } }[];
      from: { email: string };
      subject: string;
      content: { type: string; value: string }[];
    };
    expect(body.personalizations[0].to).toEqual([{ email: 'grace@example.com' }]);
    expect(body.from.email).toBe('surveys@acme.test');
    expect(body.subject).toBe(`About case ${caseId.slice(0, 8)}`);
    const text = body.content.find((c) => c.type === 'text/plain')!.value;
    const link = /https:\/\/surveys\.example\.test(\/s\/[A-Za-z0-9_-]+)/.exec(text);
    expect(text).toContain('Hi Grace Hopper, tell us how we did: ');
    expect(link).not.toBeNull();
    expect(link![1].length).toBeLessThanOrEqual(30);

    // The link is stored (hashed), written to the case field, and announced for the CRM.
    const [stored] = await pipeline.ds.query(`SELECT * FROM survey_links WHERE case_id = $1`, [caseId]);
    expect(stored.token_hash).toHaveLength(64);
    expect(JSON.stringify(stored)).not.toContain(link![1].slice(3));
    const [kase] = await pipeline.ds.query(`SELECT custom_fields FROM cases WHERE id = $1`, [caseId]);
    // Our copy holds a reference (no working link at rest); the ops API and the CRM's update show the URL.
    expect(kase.custom_fields.survey_link).toBe(`fg-link:${stored.id}`);
    const viewer = (
      await pipeline.apps.get('gateway')!.get(ApiKeyService).create('viewer', ['distribution:view'])
    ).key;
    const shown = await request(pipeline.gateway)
      .get(`/ops/cases/${caseId}`)
      .set('Authorization', `Bearer ${viewer}`)
      .expect(200);
    expect(shown.body.customFields.survey_link).toBe(link![0]);
    const update = await fieldUpdates.waitFor<{ caseId: string; field: string; value: string }>(
      (m) => m.data.caseId === caseId,
    );
    expect(update.data).toMatchObject({ field: 'survey_link', value: link![0] });
    expect(update.key).toBe(caseId);

    const [invite] = await eventually(async () => {
      const rows = await invitesOf(caseId);
      expect(rows[0]?.status).toBe('Invite Sent');
      return rows;
    });
    const inviteId = body.personalizations[0].custom_args.invite_id;
    expect(invite.id).toBe(inviteId);
    expect(invite.provider_message_id).toMatch(/^stubmsg/);

    // A signed `delivered` receipt moves the invite and is published for the rules.
    const events = JSON.stringify([
      {
        email: 'grace@example.com',
        timestamp: Math.floor(Date.now() / 1000),
        event: 'delivered',
        sg_event_id: randomUUID(),
        sg_message_id: `${String(invite.provider_message_id)}.filter001`,
        invite_id: inviteId,
      },
    ]);
    await request(pipeline.gateway)
      .post('/webhooks/sendgrid')
      .set('Content-Type', 'application/json')
      .set(signer.sign(events))
      .send(events)
      .expect(200, { accepted: 1 });
    const changed = await inviteStatus.waitFor<{ inviteId: string; deliveryStatus: string; status: string }>(
      (m) => m.data.inviteId === inviteId && m.data.deliveryStatus === 'delivered',
    );
    expect(changed.data.status).toBe('Invite Sent');
    expect((await invitesOf(caseId))[0].delivery_status).toBe('delivered');

    // Opening the link shows the survey; its beacon (a person looking) records Survey Opened.
    const page = await request(pipeline.gateway).get(link![1]).expect(200);
    expect(page.text).toContain('How likely are you to recommend us?');
    await request(pipeline.gateway).post(`${link![1]}/opened`).expect(204);
    await responseStatus.waitFor<{ caseId: string; status: string }>(
      (m) => m.data.caseId === caseId && m.data.status === 'Survey Opened',
    );
  });

  it('carries the case event id as correlation id through every hop', async () => {
    const caseId = `case-${randomUUID()}`;
    const eventId = randomUUID();
    await kafka.produce(topic('caseEvents'), [resolvedCaseEvent(f, caseId, eventId)]);
    const update = await fieldUpdates.waitFor<{ caseId: string }>((m) => m.data.caseId === caseId);
    expect(update.headers.ce_correlationid).toBe(eventId);
    const sent = await inviteStatus.waitFor<{ caseId: string }>((m) => m.data.caseId === caseId);
    expect(sent.headers.ce_correlationid).toBe(eventId);
  });

  it('a replayed case event issues no second link and sends no second email', async () => {
    const caseId = `case-${randomUUID()}`;
    const original = resolvedCaseEvent(f, caseId);
    await kafka.produce(topic('caseEvents'), [original]);
    await eventually(async () => expect((await invitesOf(caseId))[0]?.status).toBe('Invite Sent'));

    // The same event again, and the CRM re-sending the same state under a new id; then a marker event on the
    // same partition (same key), whose effect proves the two before it were handled.
    const resent = resolvedCaseEvent(f, caseId, randomUUID(), { previous: undefined });
    const marker = resolvedCaseEvent(f, caseId, randomUUID(), {
      fields: { status: 'Closed' },
      previous: undefined,
    });
    await kafka.produce(topic('caseEvents'), [original, resent, marker]);
    await eventually(async () => {
      const [kase] = await pipeline.ds.query(`SELECT fields FROM cases WHERE id = $1`, [caseId]);
      expect(kase.fields.status).toBe('Closed');
    });
    // Downstream hops may still be in flight for a wrong second action: wait for the outbox to drain.
    await eventually(async () => {
      const [{ n }] = await pipeline.ds.query(`SELECT count(*)::int AS n FROM outbox`);
      expect(n).toBe(0);
    });
    expect(mailsTo(caseId)).toHaveLength(1);
    expect(await invitesOf(caseId)).toHaveLength(1);
    const links = await pipeline.ds.query(`SELECT id FROM survey_links WHERE case_id = $1`, [caseId]);
    expect(links).toHaveLength(1);
  });

  it('dead-letters malformed case events with the reason and keeps processing the next good one', async () => {
    const dlq = await kafka.watch(deadLetterTopicOf(topic('caseEvents')));
    const caseId = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [
      { key: caseId, value: '{not json', headers: { 'content-type': 'application/cloudevents+json' } },
      {
        key: caseId,
        value: JSON.stringify({ fields: { status: 'Resolved' } }),
        headers: {
          ce_specversion: '1.0',
          ce_id: randomUUID(),
          ce_source: 'crm',
          ce_type: 'case.updated',
          'content-type': 'application/json',
        },
      },
      resolvedCaseEvent(f, caseId),
    ]);
    const notJson = await dlq.waitFor((m) => m.key === caseId && m.value === '{not json');
    expect(notJson.headers['dlq-reason']).toMatch(/value is not valid JSON/);
    expect(notJson.headers['dlq-source-topic']).toBe(topic('caseEvents'));
    const noCaseId = await dlq.waitFor((m) => m.key === caseId && m.value !== '{not json');
    expect(noCaseId.headers['dlq-reason']).toMatch(/caseId: Required/);
    await eventually(async () => expect((await invitesOf(caseId))[0]?.status).toBe('Invite Sent'));
  });

  it('reports an action it cannot do as failed, with the reason, and still runs the next one', async () => {
    const results = await kafka.watch(topic('surveyActionResults'));
    const caseId = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [resolvedCaseEvent(f, caseId)]);
    await eventually(async () => expect((await invitesOf(caseId))[0]?.status).toBe('Invite Sent'));
    const action = (distributionId: string, linkField: string) => ({
      key: caseId,
      value: JSON.stringify({
        actionId: randomUUID(),
        ruleId: randomUUID(),
        ruleVersion: 1,
        caseId,
        distributionId,
        kind: 'issue_link',
        linkField,
      }),
      headers: {
        ce_specversion: '1.0',
        ce_id: randomUUID(),
        ce_source: 'test',
        ce_type: 'survey.action.requested',
        'content-type': 'application/json',
      },
    });
    const unknown = randomUUID();
    const bad = action(unknown, 'bad_link');
    const good = action(f.distributionId, 'crm_link');
    await kafka.produce(topic('surveyActions'), [bad, good]);
    const failed = await results.waitFor<{
      actionId: string;
      outcome: string;
      reason: string;
      reasonCode: string;
    }>((m) => m.data.actionId === JSON.parse(bad.value).actionId);
    expect(failed.data.outcome).toBe('failed');
    expect(failed.data.reason).toBe(`DISTRIBUTION_NOT_FOUND: distribution ${unknown} does not exist`);
    expect(failed.data.reasonCode).toBe('DISTRIBUTION_NOT_FOUND');
    const done = await results.waitFor<{ actionId: string; outcome: string; linkId: string }>(
      (m) => m.data.actionId === JSON.parse(good.value).actionId,
    );
    expect(done.data.outcome).toBe('completed');
    // The good action went through, and it got the case's one link for that distribution, not a new one.
    await eventually(async () => {
      const [kase] = await pipeline.ds.query(`SELECT custom_fields FROM cases WHERE id = $1`, [caseId]);
      expect(kase.custom_fields.crm_link).toBe(kase.custom_fields.survey_link);
      expect(kase.custom_fields.bad_link).toBeUndefined();
    });
  });

  it('does not send again when a dispatch is delivered a second time', async () => {
    const dispatches = await kafka.watch(topic('dispatchEmail'));
    const caseId = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [resolvedCaseEvent(f, caseId)]);
    const original = await dispatches.waitFor<{ caseId: string }>((m) => m.data.caseId === caseId);
    await eventually(async () => expect((await invitesOf(caseId))[0]?.status).toBe('Invite Sent'));
    // As if the relay re-published it under a new id after a crash: the invite was already claimed.
    const redelivered = randomUUID();
    await kafka.produce(topic('dispatchEmail'), [
      { key: caseId, value: original.value, headers: { ...original.headers, ce_id: redelivered } },
    ]);
    await eventually(async () => {
      const rows = await pipeline.ds.query(
        `SELECT 1 FROM inbox WHERE consumer = 'sender-email' AND message_id = $1`,
        [`${original.headers.ce_source}#${redelivered}`],
      );
      expect(rows).toHaveLength(1);
    });
    expect(mailsTo(caseId)).toHaveLength(1);
    expect((await invitesOf(caseId))[0].status).toBe('Invite Sent');
  });

  it('rejects forged SendGrid webhooks with 401 and changes nothing', async () => {
    const caseId = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [resolvedCaseEvent(f, caseId)]);
    const [invite] = await eventually(async () => {
      const rows = await invitesOf(caseId);
      expect(rows[0]?.status).toBe('Invite Sent');
      return rows;
    });
    const forged = JSON.stringify([
      { event: 'bounce', invite_id: invite.id, sg_event_id: randomUUID(), timestamp: 1, reason: 'forged' },
    ]);
    const otherSigner = new SendGridWebhookSigner();
    const genuine = signer.sign(forged);
    const attempts = [
      {}, // no signature at all
      otherSigner.sign(forged), // signed by someone else's key
      {
        ...genuine,
        'X-Twilio-Email-Event-Webhook-Timestamp': String(
          Number(genuine['X-Twilio-Email-Event-Webhook-Timestamp']) + 1,
        ),
      },
    ];
    for (const headers of attempts) {
      const res = await request(pipeline.gateway)
        .post('/webhooks/sendgrid')
        .set('Content-Type', 'application/json')
        .set(headers)
        .send(forged)
        .expect(401);
      expect(res.body.error.code).toBe('INVALID_SIGNATURE');
    }
    // Genuine signature, body altered after signing.
    await request(pipeline.gateway)
      .post('/webhooks/sendgrid')
      .set('Content-Type', 'application/json')
      .set(genuine)
      .send(forged.replace('forged', 'tampered'))
      .expect(401);
    const [after] = await invitesOf(caseId);
    expect(after.status).toBe('Invite Sent');
    expect(after.delivery_status).toBe('accepted');
    const receipts = await pipeline.ds.query(`SELECT event FROM delivery_receipts WHERE invite_id = $1`, [
      invite.id,
    ]);
    expect(receipts).toEqual([{ event: 'accepted' }]);
  });

  it('carries one trace from the CRM’s case event through every app to the provider call and its receipt', async () => {
    const caseId = `case-${randomUUID()}`;
    const traceId = randomUUID().replace(/-/g, '');
    const publisher = (
      await pipeline.apps.get('gateway')!.get(ApiKeyService).create('crm', ['case-events:publish'])
    ).key;
    const event = JSON.parse(resolvedCaseEvent(f, caseId).value) as Record<string, unknown>;
    // The CRM traces too: its context rides on the event (CloudEvents distributed tracing), with an extension of
    // its own we don't know.
    await request(pipeline.gateway)
      .post('/events/cases')
      .set('Authorization', `Bearer ${publisher}`)
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify({ ...event, traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tenant: 'acme-eu' }))
      .expect(202);

    // On Kafka: binary mode, the context and the unknown extension as ce_ headers.
    const onKafka = await caseEvents.waitFor((m) => m.key === caseId);
    expect(onKafka.headers.ce_traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(onKafka.headers.ce_tenant).toBe('acme-eu');

    // The provider got it (SendGrid echoes custom_args on its events)…
    const mail = await eventually(() => {
      const m = mailsTo(caseId);
      expect(m).toHaveLength(1);
      return m[0].body as { personalizations: { custom_args: { invite_id: string; traceparent: string } }[] };
    });
    const args = mail.personalizations[0].custom_args;
    expect(args.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
    // …and its receipt continues the trace.
    const receipt = JSON.stringify([
      {
        email: 'grace@example.com',
        timestamp: Math.floor(Date.now() / 1000),
        event: 'delivered',
        sg_event_id: randomUUID(),
        invite_id: args.invite_id,
        traceparent: args.traceparent,
      },
    ]);
    await request(pipeline.gateway)
      .post('/webhooks/sendgrid')
      .set('Content-Type', 'application/json')
      .set(signer.sign(receipt))
      .send(receipt)
      .expect(200, { accepted: 1 });
    const delivered = await inviteStatus.waitFor(
      (m) => m.data.inviteId === args.invite_id && m.data.deliveryStatus === 'delivered',
    );
    expect(delivered.headers.ce_traceparent).toMatch(new RegExp(`^00-${traceId}-`));

    // One trace: the ingress, every app's consumer, the provider call, the receipt's handling.
    const names = () =>
      spans
        .getFinishedSpans()
        .filter((s) => s.spanContext().traceId === traceId)
        .map((s) => s.name);
    await eventually(() =>
      expect(names()).toEqual(
        expect.arrayContaining([
          'publish case.events',
          expect.stringMatching(/^process .*case\.events$/),
          expect.stringMatching(/^process .*survey\.actions$/),
          expect.stringMatching(/^process .*dispatch\.email$/),
          'send sendgrid email',
          expect.stringMatching(/^process .*delivery\.receipts$/),
          expect.stringMatching(/^process .*invite\.status$/),
        ]),
      ),
    );
  });

  it('unsubscribes in one click per RFC 8058: the address is suppressed and a later invitation ends Suppressed', async () => {
    const caseId = `case-${randomUUID()}`;
    const email = `unsub-${randomUUID().slice(0, 8)}@example.com`;
    const withEmail = (id: string) => {
      const e = resolvedCaseEvent(f, id);
      const v = JSON.parse(e.value) as { data: { contact: { email: string } } };
      v.data.contact.email = email;
      return { ...e, value: JSON.stringify(v) };
    };
    await kafka.produce(topic('caseEvents'), [withEmail(caseId)]);
    const mail = await eventually(() => {
      const m = sendgrid.requests.filter((r) => JSON.stringify(r.body).includes(email));
      expect(m).toHaveLength(1);
      return m[0].body as {
        headers: Record<string, string>;
        personalizations: { custom_args: { invite_id: string } }[];
      };
    });
    expect(validateMailSend(mail)).toEqual([]);
    // Both headers, the URL signed for this recipient (the address is not in it).
    expect(mail.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const url = /^<(https:\/\/surveys\.example\.test(\/u\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{32}))>$/.exec(
      mail.headers['List-Unsubscribe'],
    );
    expect(url).not.toBeNull();
    expect(url![1]).not.toContain(email);
    const path = url![2];

    // A scanner's GET changes nothing; a forged token is refused.
    expect((await request(pipeline.gateway).get(path).expect(200)).text).toContain('u•••@example.com');
    await request(pipeline.gateway)
      .post(`${path.slice(0, -1)}${path.endsWith('A') ? 'B' : 'A'}`)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(404);
    const suppressed = () =>
      pipeline.ds.query(`SELECT reason, source FROM suppressions WHERE address = $1 AND lifted_at IS NULL`, [
        email,
      ]);
    expect(await suppressed()).toEqual([]);

    // The mail client's one-click POST (RFC 8058: exactly this body, no cookie).
    await request(pipeline.gateway)
      .post(path)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('List-Unsubscribe=One-Click')
      .expect(200);
    expect(await suppressed()).toEqual([{ reason: 'unsubscribed', source: 'List-Unsubscribe one-click' }]);
    const inviteId = mail.personalizations[0].custom_args.invite_id;
    await inviteStatus.waitFor((m) => m.data.inviteId === inviteId && m.data.status === 'Unsubscribed');

    // The next case for the same customer: the invitation ends Suppressed, nothing is sent.
    const next = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [withEmail(next)]);
    await eventually(async () => {
      const [row] = await invitesOf(next);
      expect(row).toMatchObject({ status: 'Suppressed' });
    });
    expect(sendgrid.requests.filter((r) => JSON.stringify(r.body).includes(email))).toHaveLength(1);
  });
});
