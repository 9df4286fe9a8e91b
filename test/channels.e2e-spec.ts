import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { Topics, deadLetterTopicOf } from '@fg/contracts';
import { SendReconciler } from '@fg/senders';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { HOUR, ManualClock } from './support/clock';
import { eventually } from './support/eventually';
import { KafkaTestClient, structuredEvent } from './support/kafka';
import { opsApi } from './support/ops-api';
import { Pipeline, testConfig } from './support/pipeline';
import { SendGridStub, SendGridWebhookSigner } from './support/sendgrid-stub';
import { TwilioStub, twilioCreateMessageValidator, twilioError } from './support/twilio-stub';

const SID = `AC${'a1'.repeat(16)}`;
const TOKEN = 'twilio-token-for-channel-tests';
const PUBLIC = 'https://surveys.example.test';
const SMS_FROM = '+15005550006';
const WA_FROM = '+15005550007';

/**
 * Issue #5 over real Kafka and Postgres, the real `twilio` and `@sendgrid/mail` clients talking to local stubs:
 * SMS and WhatsApp end to end, receipts in any order, retries and dead-lettering, permanent errors, fallback,
 * suppression (bounces, STOP/START, opted-out numbers), quarantine, no second send after a crash, and the
 * template tools (preview, test send, clone).
 */
describe('channel senders and receipts', () => {
  const clock = new ManualClock();
  const twilio = new TwilioStub(() => clock.now());
  const sendgrid = new SendGridStub();
  const signer = new SendGridWebhookSigner(() => clock.now());
  const kafka = new KafkaTestClient();
  const validate = twilioCreateMessageValidator();
  let pipeline: Pipeline;
  let key: string;
  let topic: (k: keyof typeof Topics) => string;

  beforeAll(async () => {
    await twilio.start();
    await sendgrid.start();
    const config = testConfig({
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_API_BASE_URL: twilio.url,
      SENDGRID_API_KEY: 'SG.test-key',
      SENDGRID_API_BASE_URL: sendgrid.url,
      SENDGRID_WEBHOOK_PUBLIC_KEY: signer.publicKeyBase64,
      PUBLIC_BASE_URL: PUBLIC,
      SEND_RETRY_BASE_MS: '20',
      SEND_RETRY_MAX_DELAY_MS: '200',
      SEND_RETRY_POLL_MS: '50',
      SEND_RETRY_HORIZON_MINUTES: '60',
      // The circuit breaker has its own suite (delivery-guarantees); here a 503 must not pause the others.
      SEND_BREAKER_FAILURES: '1000',
    });
    topic = (k) => `${config.KAFKA_TOPIC_PREFIX}${Topics[k].name}`;
    pipeline = await new Pipeline(config, clock).start();
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('channels admin', [
          'rules:configure',
          'case-fields:configure',
          'distribution:edit',
          'distribution:view',
          'dead-letters:manage',
        ])
    ).key;
  });

  afterAll(async () => {
    await kafka.close();
    await pipeline?.close();
    await twilio.close();
    await sendgrid.close();
  });

  const api = opsApi(
    () => pipeline.gateway,
    () => key,
  );

  /** A distribution set up over REST: accounts, fallback, templates, and the rule "invite on Resolved". */
  async function distribution(o: {
    channel: 'sms' | 'whatsapp' | 'email';
    fallback?: Record<string, string>;
    kinds?: string[];
  }) {
    const surveyId = randomUUID();
    const d = randomUUID();
    await pipeline.ds.query(`INSERT INTO surveys (id, name) VALUES ($1, 'CSAT')`, [surveyId]);
    await pipeline.ds.query(
      `INSERT INTO distributions (id, survey_id, name, status) VALUES ($1, $2, 'D', 'active')`,
      [d, surveyId],
    );
    await api
      .put(`/ops/distributions/${d}/channels`, {
        accounts: {
          sms: { from: SMS_FROM },
          whatsapp: { from: WA_FROM },
          email: { fromEmail: 'surveys@acme.test' },
        },
        fallback: o.fallback ?? {},
      })
      .expect(200);
    for (const kind of o.kinds ?? ['invitation', 'reminder']) {
      await api
        .put(`/ops/distributions/${d}/templates`, {
          channel: 'sms',
          kind,
          language: 'en',
          text: `${kind} for {{customer_first_name}} on {{case_number}}: {{survey_link}}`,
        })
        .expect(200);
      await api
        .put(`/ops/distributions/${d}/templates`, {
          channel: 'whatsapp',
          kind,
          language: 'en',
          contentSid: `HX${'b2'.repeat(16)}`,
          contentVariables: { '1': '{{customer_first_name}}', '2': '{{survey_link}}' },
        })
        .expect(200);
      await api
        .put(`/ops/distributions/${d}/templates`, {
          channel: 'email',
          kind,
          language: 'en',
          subject: `${kind} {{case_number}}`,
          text: 'Hi {{customer_first_name}}: {{survey_link}}',
        })
        .expect(200);
    }
    await api
      .post('/ops/rules', {
        name: `invite by ${o.channel}`,
        trigger: 'case.updated',
        conditions: { field: 'custom.program', op: 'equals', value: d },
        actions: [{ type: 'send_invitation', distributionId: d, channel: o.channel }],
      })
      .expect(201);
    return d;
  }

  const caseFor = (d: string, contact: Record<string, unknown>, caseId = `case-${randomUUID()}`) => ({
    caseId,
    msg: structuredEvent(caseId, 'case.updated', {
      caseId,
      caseNumber: caseId.slice(0, 13),
      customFields: { program: d },
      contact: { name: 'Ada Lovelace', ...contact },
    }),
  });

  const invitesOf = (caseId: string) =>
    pipeline.ds.query<
      {
        id: string;
        channel: string;
        status: string;
        delivery_status: string;
        reason: string | null;
        provider_message_id: string | null;
        fallback_of: string | null;
        attempts: number;
      }[]
    >(`SELECT * FROM invites WHERE case_id = $1 ORDER BY created_at`, [caseId]);
  const statusOf = async (caseId: string, expected: string) =>
    eventually(async () => {
      const rows = await invitesOf(caseId);
      expect(rows.map((r) => r.status)).toContain(expected);
      return rows;
    });
  const to = (phone: string) => (r: { form: Record<string, string> }) => r.form.To?.endsWith(phone);
  const phone = () => `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

  const messageSid = () => `SM${randomBytes(16).toString('hex')}`;
  const signedTwilio = (path: string, params: Record<string, string>) =>
    request(pipeline.gateway)
      .post(path)
      .type('form')
      .set('X-Twilio-Signature', getExpectedTwilioSignature(TOKEN, `${PUBLIC}${path}`, params))
      .send(params);

  it('sends an SMS through Twilio and follows its status callbacks, in any order and duplicated', async () => {
    const d = await distribution({ channel: 'sms' });
    const p = phone();
    const { caseId, msg } = caseFor(d, { phone: p });
    await kafka.produce(topic('caseEvents'), [msg]);
    const [sent] = await statusOf(caseId, 'Invite Sent');
    const [req] = twilio.messages(to(p));
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
    expect(validate(req.form)).toEqual([]);
    expect(req.form).toMatchObject({
      To: p,
      From: SMS_FROM,
      StatusCallback: `${PUBLIC}/webhooks/twilio/status?inviteId=${sent.id}`,
    });
    expect(req.form.Body).toMatch(
      new RegExp(`^invitation for Ada on ${caseId.slice(0, 13)}: ${PUBLIC}/s/[A-Za-z0-9_-]{22}$`),
    );
    expect(sent.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);

    const path = `/webhooks/twilio/status?inviteId=${sent.id}`;
    const cb = (status: string) => ({
      MessageSid: sent.provider_message_id!,
      MessageStatus: status,
      To: p,
      From: SMS_FROM,
    });
    for (const s of ['delivered', 'queued', 'delivered', 'sent', 'queued'])
      await signedTwilio(path, cb(s)).expect(200, { accepted: 1 });
    await eventually(async () =>
      expect((await invitesOf(caseId))[0]).toMatchObject({
        status: 'Invite Sent',
        delivery_status: 'delivered',
      }),
    );
    // A forged callback is refused and changes nothing.
    await request(pipeline.gateway)
      .post(path)
      .type('form')
      .set('X-Twilio-Signature', 'forged')
      .send(cb('undelivered'))
      .expect(401);
    // Signed for this invite, replayed against another one: the signature covers the URL.
    await request(pipeline.gateway)
      .post(path.replace(sent.id, randomUUID()))
      .type('form')
      .set('X-Twilio-Signature', getExpectedTwilioSignature(TOKEN, `${PUBLIC}${path}`, cb('failed')))
      .send(cb('failed'))
      .expect(401);
    expect((await invitesOf(caseId))[0].status).toBe('Invite Sent');
  });

  it('sends WhatsApp invites as an approved template (ContentSid + ContentVariables); read receipts open them', async () => {
    const d = await distribution({ channel: 'whatsapp' });
    const p = phone();
    const { caseId, msg } = caseFor(d, { phone: p });
    await kafka.produce(topic('caseEvents'), [msg]);
    const [sent] = await statusOf(caseId, 'Invite Sent');
    const [req] = twilio.messages(to(p));
    expect(validate(req.form)).toEqual([]);
    expect(req.form).toMatchObject({
      To: `whatsapp:${p}`,
      From: `whatsapp:${WA_FROM}`,
      ContentSid: `HX${'b2'.repeat(16)}`,
    });
    expect(req.form.Body).toBeUndefined();
    const vars = JSON.parse(req.form.ContentVariables) as Record<string, string>;
    expect(vars['1']).toBe('Ada');
    expect(vars['2']).toMatch(new RegExp(`^${PUBLIC}/s/[A-Za-z0-9_-]{22}$`));
    const path = `/webhooks/twilio/status?inviteId=${sent.id}`;
    const cb = (status: string) => ({
      MessageSid: sent.provider_message_id!,
      MessageStatus: status,
      To: `whatsapp:${p}`,
      From: `whatsapp:${WA_FROM}`,
    });
    for (const s of ['read', 'delivered', 'sent']) await signedTwilio(path, cb(s)).expect(200);
    await eventually(async () =>
      expect((await invitesOf(caseId))[0]).toMatchObject({
        status: 'Invite Opened',
        delivery_status: 'opened',
      }),
    );
  });

  it("sends from the case's conversation account when the rule says not to use the distribution's", async () => {
    const d = await distribution({ channel: 'sms' });
    await api
      .post('/ops/rules', {
        name: 'reply from the conversation number',
        trigger: 'case.updated',
        conditions: { field: 'custom.program', op: 'equals', value: `conv-${d}` },
        actions: [
          { type: 'send_invitation', distributionId: d, channel: 'sms', useDistributionAccount: false },
        ],
      })
      .expect(201);
    const p = phone();
    const caseId = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [
      structuredEvent(caseId, 'case.updated', {
        caseId,
        caseNumber: 'C-1',
        fields: { conversation_account: '+15005550099' },
        customFields: { program: `conv-${d}` },
        contact: { name: 'Ada Lovelace', phone: p },
      }),
    ]);
    await statusOf(caseId, 'Invite Sent');
    expect(twilio.messages(to(p))[0].form.From).toBe('+15005550099');
  });

  it('defers sends the provider cannot take (429 with Retry-After, 5xx): Pending / deferred, then sent once', async () => {
    const d = await distribution({ channel: 'sms' });
    const flaky = phone();
    twilio.respondWith((r) => {
      if (r.form.To !== flaky) return undefined;
      const n = twilio.messages(to(flaky)).length;
      if (n === 1)
        return {
          status: 429,
          headers: { 'Retry-After': '1' },
          body: { code: 20429, message: 'Too Many Requests', status: 429 },
        };
      if (n === 2) return { status: 500, body: { code: 20500, message: 'Internal error', status: 500 } };
      return undefined;
    });
    const statuses = await kafka.watch(topic('inviteStatus'));
    const a = caseFor(d, { phone: flaky });
    await kafka.produce(topic('caseEvents'), [a.msg]);
    // While it waits, rules and operators see a send that is deferred, with why, not a failure.
    const deferred = await statuses.waitFor<{
      caseId: string;
      status: string;
      deliveryStatus: string;
      reasonCode: string;
    }>((m) => m.data.caseId === a.caseId && m.data.deliveryStatus === 'deferred');
    expect(deferred.data).toMatchObject({ status: 'Pending', reasonCode: 'PROVIDER_UNAVAILABLE' });
    await statusOf(a.caseId, 'Invite Sent');
    const tries = twilio.messages(to(flaky));
    expect(tries).toHaveLength(3);
    expect(tries[1].receivedAt - tries[0].receivedAt).toBeGreaterThanOrEqual(1000);
    expect(twilio.accepted(flaky)).toHaveLength(1);
    const [sent] = await invitesOf(a.caseId);
    expect(sent).toMatchObject({ status: 'Invite Sent', delivery_status: 'accepted', attempts: 3 });
    twilio.respondWith(() => undefined);
  });

  it('fails a send only after the retry horizon, dead-letters it, and an operator redrive sends it once', async () => {
    const d = await distribution({ channel: 'sms' });
    const down = phone();
    let available = false;
    twilio.respondWith((r) =>
      r.form.To === down && !available
        ? { status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } }
        : undefined,
    );
    const dlq = await kafka.watch(deadLetterTopicOf(topic('dispatchSms')));
    const b = caseFor(d, { phone: down });
    await kafka.produce(topic('caseEvents'), [b.msg]);
    // Retried, and still waiting rather than Failed, while the provider answers 503…
    await eventually(async () => {
      expect(twilio.messages(to(down)).length).toBeGreaterThanOrEqual(3);
      expect((await invitesOf(b.caseId))[0]).toMatchObject({
        status: 'Pending',
        delivery_status: 'deferred',
      });
    });
    // …until the horizon (SEND_RETRY_HORIZON_MINUTES = 60 here) has passed.
    clock.advance(61 * 60_000);
    const [failed] = await statusOf(b.caseId, 'Failed');
    expect(failed.reason).toMatch(/^PROVIDER_UNAVAILABLE: HTTP_503 after \d+ attempts over 6\d min/);
    const dead = await dlq.waitFor<{ inviteId: string }>((m) => m.data.inviteId === failed.id);
    expect(dead.headers['dlq-code']).toBe('PROVIDER_UNAVAILABLE');
    expect(dead.headers['dlq-reason']).toMatch(/Twilio 503/);

    // The dead letter is listed with its reason and original headers…
    const listed = await api
      .get(`/ops/dead-letters?topic=${encodeURIComponent(topic('dispatchSms'))}&code=PROVIDER_UNAVAILABLE`)
      .expect(200);
    const letter = (
      listed.body.items as { id: string; inviteId: string; reason: string; headers: Record<string, string> }[]
    ).find((i) => i.inviteId === failed.id)!;
    expect(letter.reason).toMatch(/^PROVIDER_UNAVAILABLE: HTTP_503/);
    expect(letter.headers.ce_type).toBe('dispatch.requested');
    expect(letter.headers['dlq-reason']).toBeUndefined();
    const calls = twilio.messages(to(down)).length;
    expect(twilio.accepted(down)).toHaveLength(0);

    // …and once the provider is back, a redrive sends it, once, however often it is asked for.
    available = true;
    const [first, second] = await Promise.all([
      api.post(`/ops/dead-letters/${letter.id}/redrive`, {}).expect(200),
      api.post(`/ops/dead-letters/${letter.id}/redrive`, {}).expect(200),
    ]);
    expect(first.body.redriven + second.body.redriven).toBe(1);
    expect(first.body.invitesReopened + second.body.invitesReopened).toBe(1);
    await statusOf(b.caseId, 'Invite Sent');
    expect(twilio.messages(to(down))).toHaveLength(calls + 1);
    expect(twilio.accepted(down)).toHaveLength(1);
    await api.post(`/ops/dead-letters/redrive`, { ids: [letter.id] }).expect(200, {
      redriven: 0,
      republished: 0,
      invitesReopened: 0,
      webhooksReopened: 0,
    });
    await api.post(`/ops/dead-letters/redrive`, {}).expect(400);
    twilio.respondWith(() => undefined);
  });

  it('does not retry permanent errors, and falls back to the next channel (WhatsApp outside the window → SMS)', async () => {
    const d = await distribution({ channel: 'whatsapp', fallback: { whatsapp: 'sms' } });
    const p = phone();
    const bad = phone();
    twilio.respondWith((r) => {
      if (r.form.To === `whatsapp:${p}`)
        return twilioError(
          400,
          63016,
          'Failed to send freeform message because you are outside the allowed window.',
        );
      if (r.form.To === `whatsapp:${bad}`)
        return twilioError(400, 21211, "The 'To' number is not a valid phone number.");
      if (r.form.To === bad) return twilioError(400, 21211, "The 'To' number is not a valid phone number.");
      return undefined;
    });
    const ok = caseFor(d, { phone: p });
    const invalid = caseFor(d, { phone: bad });
    await kafka.produce(topic('caseEvents'), [ok.msg, invalid.msg]);
    const rows = await eventually(async () => {
      const r = await invitesOf(ok.caseId);
      expect(r.map((x) => [x.channel, x.status])).toEqual([
        ['whatsapp', 'Failed'],
        ['sms', 'Invite Sent'],
      ]);
      return r;
    });
    expect(rows[0].reason).toBe('PROVIDER_REJECTED: OUTSIDE_WHATSAPP_WINDOW (twilio 63016)');
    expect(rows[1].fallback_of).toBe(rows[0].id);
    expect(twilio.messages(to(p)).map((r) => r.form.To)).toEqual([`whatsapp:${p}`, p]);
    // The rule's action ended with the fallback invite, not with the failed one.
    type Evals = { run: { actions: { status: string; inviteId: string }[] } | null }[];
    await eventually(async () => {
      const e = (await api.get(`/ops/rule-evaluations?caseId=${ok.caseId}`).expect(200)).body as Evals;
      expect(e.find((x) => x.run)!.run!.actions[0]).toMatchObject({
        status: 'completed',
        inviteId: rows[1].id,
      });
    });
    // An invalid number is not retried, on either channel.
    await eventually(async () =>
      expect((await invitesOf(invalid.caseId)).map((x) => x.status)).toEqual(['Failed', 'Failed']),
    );
    expect(twilio.messages(to(bad))).toHaveLength(2);
    twilio.respondWith(() => undefined);
  });

  it('answers STOP, START and HELP in the language of the last message sent to that number', async () => {
    const d = await distribution({ channel: 'sms' });
    const number = phone();
    // The last survey message to this number was in French (as the link issuer records it).
    const [link] = await pipeline.ds.query(
      `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language)
       VALUES ($1, $2, $3, $4, '\\x00', '{}', 'fr') RETURNING id`,
      [randomUUID(), d, `case-${randomUUID()}`, `hash-${randomUUID()}`],
    );
    await pipeline.ds.query(
      `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                            status, delivery_status, sent_at)
       VALUES ($1, $2, $3, $4, $5, 'sms', 'invitation', 'fr-CA', $6, 'Invite Sent', 'delivered', now())`,
      [randomUUID(), randomUUID(), link.id, d, `case-${randomUUID()}`, number],
    );
    const say = (Body: string) =>
      signedTwilio('/webhooks/twilio/inbound', {
        From: number,
        To: SMS_FROM,
        Body,
        MessageSid: messageSid(),
      }).expect(200);
    expect((await say('HELP')).text).toContain('Répondez STOP pour arrêter');
    expect((await say('STOP')).text).toContain('Vous ne recevrez plus de questionnaires');
    expect((await say('START')).text).toContain('Vous recevrez de nouveau nos questionnaires');
    // A number we never wrote to gets English.
    const stranger = await signedTwilio('/webhooks/twilio/inbound', {
      From: phone(),
      To: SMS_FROM,
      Body: 'HELP',
      MessageSid: messageSid(),
    }).expect(200);
    expect(stranger.text).toContain('Reply STOP to stop');
  });

  it('suppresses STOP repliers, opted-out numbers and bounced addresses; START lifts it', async () => {
    const d = await distribution({ channel: 'sms' });
    const stopper = phone();
    // STOP over inbound SMS (signed), answered in TwiML.
    const forged = await request(pipeline.gateway)
      .post('/webhooks/twilio/inbound')
      .type('form')
      .set('X-Twilio-Signature', 'nope')
      .send({ From: stopper, To: SMS_FROM, Body: 'STOP' });
    expect(forged.status).toBe(401);
    expect(await pipeline.ds.query(`SELECT 1 FROM suppressions WHERE address = $1`, [stopper])).toEqual([]);
    const stop = await signedTwilio('/webhooks/twilio/inbound', {
      From: stopper,
      To: SMS_FROM,
      Body: ' stop ',
      MessageSid: messageSid(),
    }).expect(200);
    expect(stop.headers['content-type']).toMatch(/text\/xml/);
    expect(stop.text).toContain("<Message>You won't receive more survey messages");
    const first = caseFor(d, { phone: stopper });
    await kafka.produce(topic('caseEvents'), [first.msg]);
    const [suppressed] = await statusOf(first.caseId, 'Suppressed');
    expect(suppressed.reason).toBe('SUPPRESSED: replied STOP (inbound sms)');
    expect(twilio.messages(to(stopper))).toHaveLength(0);
    // START lifts it: the next invite goes out.
    const start = { From: stopper, To: SMS_FROM, Body: 'START', MessageSid: messageSid() };
    await signedTwilio('/webhooks/twilio/inbound', start).expect(200);
    const second = caseFor(d, { phone: stopper });
    await kafka.produce(topic('caseEvents'), [second.msg]);
    await statusOf(second.caseId, 'Invite Sent');
    const help = await signedTwilio('/webhooks/twilio/inbound', {
      From: stopper,
      To: SMS_FROM,
      Body: 'HELP',
      MessageSid: messageSid(),
    }).expect(200);
    expect(help.text).toContain('Reply STOP to stop');
    // They say STOP again; the START captured earlier, replayed with its valid signature, changes nothing.
    await signedTwilio('/webhooks/twilio/inbound', {
      From: stopper,
      To: SMS_FROM,
      Body: 'STOP',
      MessageSid: messageSid(),
    }).expect(200);
    const replayed = await signedTwilio('/webhooks/twilio/inbound', start).expect(200);
    expect(replayed.text).not.toContain('<Message>');
    const afterReplay = caseFor(d, { phone: stopper });
    await kafka.produce(topic('caseEvents'), [afterReplay.msg]);
    await statusOf(afterReplay.caseId, 'Suppressed');
    await signedTwilio('/webhooks/twilio/inbound', { From: stopper, To: SMS_FROM, Body: 'START' }).expect(
      400,
    );

    // Twilio refuses a number that opted out with Twilio itself (21610): it goes on the list too.
    const optedOut = phone();
    twilio.respondWith((r) =>
      r.form.To === optedOut
        ? twilioError(400, 21610, 'Attempt to send to unsubscribed recipient')
        : undefined,
    );
    const third = caseFor(d, { phone: optedOut });
    await kafka.produce(topic('caseEvents'), [third.msg]);
    await statusOf(third.caseId, 'Failed');
    const fourth = caseFor(d, { phone: optedOut });
    await kafka.produce(topic('caseEvents'), [fourth.msg]);
    const [s4] = await statusOf(fourth.caseId, 'Suppressed');
    expect(s4.reason).toBe('SUPPRESSED: replied STOP (Twilio 21610) (twilio rejection)');
    expect(twilio.messages(to(optedOut))).toHaveLength(1);
    twilio.respondWith(() => undefined);

    // A SendGrid hard bounce suppresses the address for later e-mails.
    const de = await distribution({ channel: 'email' });
    const email = `bounce-${randomUUID().slice(0, 8)}@example.com`;
    const fifth = caseFor(de, { email });
    await kafka.produce(topic('caseEvents'), [fifth.msg]);
    const [sent] = await statusOf(fifth.caseId, 'Invite Sent');
    const events = JSON.stringify([
      {
        email,
        timestamp: Math.floor(Date.now() / 1000),
        event: 'bounce',
        type: 'bounce',
        reason: '550 5.1.1 unknown user',
        sg_event_id: randomUUID(),
        invite_id: sent.id,
      },
    ]);
    await request(pipeline.gateway)
      .post('/webhooks/sendgrid')
      .set('Content-Type', 'application/json')
      .set(signer.sign(events))
      .send(events)
      .expect(200);
    await eventually(async () =>
      expect(
        (await api.get(`/ops/suppressions?channel=email&address=${email.toUpperCase()}`).expect(200)).body,
      ).toEqual([
        expect.objectContaining({ address: email, reason: 'hard bounce', source: 'sendgrid bounce' }),
      ]),
    );
    const sixth = caseFor(de, { email });
    await kafka.produce(topic('caseEvents'), [sixth.msg]);
    await statusOf(sixth.caseId, 'Suppressed');
    // An operator lifts it.
    await api.post('/ops/suppressions/lift', { channel: 'email', address: email }).expect(200);
    const seventh = caseFor(de, { email });
    await kafka.produce(topic('caseEvents'), [seventh.msg]);
    await statusOf(seventh.caseId, 'Invite Sent');
  });

  it('quarantines invitations beyond the contact-frequency rule, naming it; other contacts are unaffected', async () => {
    const rule = await api
      .post('/ops/quarantine-rules', {
        name: 'One survey a month',
        maxInvites: 1,
        period: { amount: 30, unit: 'days' },
      })
      .expect(201);
    try {
      const d1 = await distribution({ channel: 'sms' });
      const d2 = await distribution({ channel: 'email' });
      const contactId = `contact-${randomUUID()}`;
      const first = caseFor(d1, { id: contactId, phone: phone(), email: 'q@example.com' });
      await kafka.produce(topic('caseEvents'), [first.msg]);
      await statusOf(first.caseId, 'Invite Sent');
      // Another survey, another channel, same contact, within 30 days.
      const second = caseFor(d2, { id: contactId, email: 'q@example.com' });
      const other = caseFor(d2, { id: `contact-${randomUUID()}`, email: 'other@example.com' });
      await kafka.produce(topic('caseEvents'), [second.msg, other.msg]);
      const [q] = await statusOf(second.caseId, 'Quarantined');
      expect(q.reason).toBe(
        'QUARANTINED: rule "One survey a month" allows 1 invitation(s) per contact per 30 days',
      );
      await statusOf(other.caseId, 'Invite Sent');
      // A reminder of the invitation already sent is neither counted nor checked.
      await api
        .post('/ops/rules', {
          name: 'remind',
          trigger: 'case.updated',
          conditions: { field: 'custom.remind', op: 'equals', value: d1 },
          actions: [{ type: 'send_reminder', distributionId: d1, channel: 'sms' }],
        })
        .expect(201);
      const remind = JSON.parse(first.msg.value) as { data: { customFields: Record<string, string> } };
      remind.data.customFields.remind = d1;
      await kafka.produce(topic('caseEvents'), [
        { ...first.msg, value: JSON.stringify({ ...remind, id: randomUUID() }) },
      ]);
      await eventually(async () =>
        expect((await invitesOf(first.caseId)).map((i) => i.status)).toEqual(['Invite Sent', 'Invite Sent']),
      );
      // 31 days later the contact may be surveyed again.
      clock.advance(31 * 24 * HOUR);
      const third = caseFor(d2, { id: contactId, email: 'q@example.com' });
      await kafka.produce(topic('caseEvents'), [third.msg]);
      await statusOf(third.caseId, 'Invite Sent');
    } finally {
      await api
        .put(`/ops/quarantine-rules/${rule.body.id}`, {
          name: 'One survey a month',
          maxInvites: 1,
          period: { amount: 30, unit: 'days' },
          enabled: false,
        })
        .expect(200);
    }
  });

  it('records the answer of an accepted message once the database is back, and never sends it again', async () => {
    const d = await distribution({ channel: 'sms' });
    const p = phone();
    const db = new URL(pipeline.config.DATABASE_URL).pathname.slice(1);
    const admin = new Client({
      connectionString: new URL('/postgres', pipeline.config.DATABASE_URL).toString(),
    });
    await admin.connect();
    const setConnections = (allowed: boolean) =>
      admin.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS ${allowed}`);
    let outageStarted!: () => void;
    const outage = new Promise<void>((r) => (outageStarted = r));
    try {
      // Twilio accepts the message, but before its answer arrives the database goes away: every app's
      // connections are cut and new ones refused, so the sender cannot record that the message was sent.
      twilio.respondWith(async (r) => {
        if (!to(p)(r)) return undefined;
        await setConnections(false);
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [db],
        );
        outageStarted();
        return undefined;
      });
      const c = caseFor(d, { phone: p });
      await kafka.produce(topic('caseEvents'), [c.msg]);
      await outage;
      // The outage lasts long enough for several of the sender's retries (the fault, not a wait for a result).
      await new Promise((r) => setTimeout(r, 2_000));
      await setConnections(true);
      const [invite] = await eventually(async () => {
        const rows = await invitesOf(c.caseId);
        expect(rows[0]).toMatchObject({ status: 'Invite Sent', delivery_status: 'accepted' });
        return rows;
      }, 30_000);
      expect(invite.provider_message_id).toMatch(/^SM/);
      expect(twilio.messages(to(p))).toHaveLength(1);
    } finally {
      twilio.respondWith(() => undefined);
      await setConnections(true);
      await admin.end();
    }
  });

  it('never sends twice after a crash between the claim and the answer; receipts or the reconciler settle it', async () => {
    const d = await distribution({ channel: 'sms' });
    const p = phone();
    // The sender is down; the invite waits on its topic.
    await pipeline.stopApp('sender-sms');
    const dispatches = await kafka.watch(topic('dispatchSms'));
    const c = caseFor(d, { phone: p });
    await kafka.produce(topic('caseEvents'), [c.msg]);
    const dispatch = await dispatches.waitFor<{ caseId: string; inviteId: string }>(
      (m) => m.data.caseId === c.caseId,
    );
    // The worst moment: the previous process claimed it and called Twilio, then died before recording the answer.
    await pipeline.ds.query(
      `UPDATE invites SET delivery_status = 'sending', attempted_at = $2 WHERE id = $1`,
      [dispatch.data.inviteId, clock.now()],
    );
    await pipeline.startApp('sender-sms');
    // Delivered again after the restart, the dispatch sends nothing…
    await kafka.produce(topic('dispatchSms'), [
      {
        key: dispatch.key ?? undefined,
        value: dispatch.value,
        headers: { ...dispatch.headers, ce_id: randomUUID() },
      },
    ]);
    const other = caseFor(d, { phone: phone() });
    await kafka.produce(topic('caseEvents'), [other.msg]);
    await statusOf(other.caseId, 'Invite Sent'); // the sender is up and working
    expect(twilio.messages(to(p))).toHaveLength(0);
    // …and Twilio's callback, which carries our invite id, settles the invite.
    await signedTwilio(`/webhooks/twilio/status?inviteId=${dispatch.data.inviteId}`, {
      MessageSid: `SM${'c3'.repeat(16)}`,
      MessageStatus: 'delivered',
      To: p,
      From: SMS_FROM,
    }).expect(200);
    await eventually(async () =>
      expect((await invitesOf(c.caseId))[0]).toMatchObject({
        status: 'Invite Sent',
        delivery_status: 'delivered',
      }),
    );

    // Without any answer recorded, the reconciler asks Twilio after SEND_RECONCILE_AFTER_MINUTES: Twilio has no
    // such message (the process died before the request left), so it is sent again — once.
    const lostPhone = phone();
    const lost = caseFor(d, { phone: lostPhone });
    await pipeline.stopApp('sender-sms');
    await kafka.produce(topic('caseEvents'), [lost.msg]);
    const [pending] = await eventually(async () => {
      const r = await invitesOf(lost.caseId);
      expect(r).toHaveLength(1);
      return r;
    });
    await pipeline.ds.query(
      `UPDATE invites SET delivery_status = 'sending', attempted_at = $2, attempts = 1 WHERE id = $1`,
      [pending.id, clock.now()],
    );
    await pipeline.startApp('sender-sms');
    const reconciler = pipeline.apps.get('sender-sms')!.get(SendReconciler);
    expect(await reconciler.reconcile()).toEqual({ sent: 0, retried: 0, unconfirmed: 0 });
    clock.advance(3 * 60_000);
    expect(await reconciler.reconcile()).toMatchObject({ retried: 1 });
    const [resent] = await statusOf(lost.caseId, 'Invite Sent');
    expect(resent.attempts).toBe(2);
    expect(twilio.accepted(lostPhone)).toHaveLength(1);
  });

  it('asks Twilio about a call that got no answer: taken → recorded as sent, not taken → sent again, never twice', async () => {
    const d = await distribution({ channel: 'sms' });
    const [took, dropped] = [phone(), phone()];
    const cut = new Set([took, dropped]);
    // The connection breaks after the request was written: for `took` Twilio had created the message.
    twilio.respondWith((r) =>
      cut.has(r.form.To) ? { hangUp: true, created: r.form.To === took } : undefined,
    );
    const a = caseFor(d, { phone: took });
    const b = caseFor(d, { phone: dropped });
    await kafka.produce(topic('caseEvents'), [a.msg, b.msg]);
    await eventually(() => expect(twilio.messages((r) => cut.has(r.form.To))).toHaveLength(2));
    cut.clear();
    // No answer is no outcome: both stay `sending` (not retried blindly, not failed).
    const reconciler = pipeline.apps.get('sender-sms')!.get(SendReconciler);
    for (const c of [a, b])
      await eventually(async () =>
        expect((await invitesOf(c.caseId))[0]).toMatchObject({
          status: 'Pending',
          delivery_status: 'sending',
        }),
      );
    clock.advance(3 * 60_000);
    expect(await reconciler.reconcile()).toEqual({ sent: 1, retried: 1, unconfirmed: 0 });
    const [recorded] = await statusOf(a.caseId, 'Invite Sent');
    expect(recorded.provider_message_id).toBe(twilio.accepted(took)[0].sid);
    await statusOf(b.caseId, 'Invite Sent');
    expect(twilio.accepted(took)).toHaveLength(1);
    expect(twilio.accepted(dropped)).toHaveLength(1);
    expect(twilio.messages(to(took))).toHaveLength(1);
  });

  it("holds sends outside the distribution's quiet hours in the recipient's time zone until the window opens", async () => {
    const d = await distribution({ channel: 'sms' });
    const surveyId = (await api.get(`/ops/distributions/${d}`).expect(200)).body.surveyId as string;
    // A one-hour window two hours from now in the recipient's zone (UTC); the window's own zone is UTC+14.
    const h = (clock.now().getUTCHours() + 2) % 24;
    const hh = (n: number) => `${String(n).padStart(2, '0')}:00`;
    await api
      .put(`/ops/distributions/${d}`, {
        surveyId,
        name: 'D',
        sendWindow: {
          days: [1, 2, 3, 4, 5, 6, 7],
          start: hh(h),
          end: hh(h + 1),
          timeZone: 'Pacific/Kiritimati',
        },
      })
      .expect(200);
    await api
      .put(`/ops/distributions/${d}`, {
        surveyId,
        name: 'D',
        sendWindow: { days: [8], start: '20:00', end: '09:00', timeZone: 'Mars/Base' },
      })
      .expect(400)
      .expect((r) =>
        expect(r.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
          'sendWindow.days.0',
          'sendWindow.end',
          'sendWindow.timeZone',
        ]),
      );
    const p = phone();
    const c = caseFor(d, { phone: p, timeZone: 'UTC' });
    await kafka.produce(topic('caseEvents'), [c.msg]);
    const [waiting] = await eventually(async () => {
      const rows = await invitesOf(c.caseId);
      expect(rows[0]).toMatchObject({ status: 'Pending', delivery_status: 'deferred' });
      return rows;
    });
    expect(waiting.reason).toMatch(
      new RegExp(`^QUIET_HOURS: outside the send window \\(every day ${hh(h)}–${hh(h + 1)} UTC\\)`),
    );
    expect(twilio.messages(to(p))).toHaveLength(0);
    // When the window opens it goes out, once, and its send time is the real one (what "last sent" counts from).
    const opening = new Date(clock.now());
    opening.setUTCHours(h, 0, 0, 0);
    if (opening <= clock.now()) opening.setUTCDate(opening.getUTCDate() + 1);
    clock.advance(opening.getTime() - clock.now().getTime() + 1_000);
    await statusOf(c.caseId, 'Invite Sent');
    expect(twilio.messages(to(p))).toHaveLength(1);
    const [{ sent_at }] = await pipeline.ds.query<{ sent_at: Date }[]>(
      `SELECT sent_at FROM invites WHERE case_id = $1`,
      [c.caseId],
    );
    expect(sent_at.getTime()).toBeGreaterThanOrEqual(opening.getTime());
  });

  it('previews templates with the SMS segment count, rejects missing placeholders, test-sends and clones', async () => {
    const d = await distribution({ channel: 'sms' });
    const preview = await api
      .post(`/ops/distributions/${d}/preview`, {
        channel: 'sms',
        kind: 'invitation',
        language: 'en',
        case: { caseNumber: 'CN-7', contact: { name: 'Zoé Quinn', phone: '+14155550100' } },
      })
      .expect(200);
    expect(preview.body.message).toMatchObject({ channel: 'sms', to: '+14155550100', from: SMS_FROM });
    expect(preview.body.message.body).toMatch(
      /^invitation for Zoé on CN-7: https:\/\/surveys\.example\.test\/s\/x{22}$/,
    );
    expect(preview.body.sms).toEqual({
      encoding: 'GSM-7',
      characters: preview.body.message.body.length,
      segments: 1,
    });

    // A draft (what the operator is typing) is previewed without being saved: the console's live preview.
    const draft = await api
      .post(`/ops/distributions/${d}/preview`, {
        channel: 'sms',
        kind: 'invitation',
        language: 'en',
        case: { caseNumber: 'CN-7', contact: { name: 'Zoé Quinn', phone: '+14155550100' } },
        draft: { text: 'Bonjour {{customer_name}} — un avis ? {{survey_link}}' },
      })
      .expect(200);
    expect(draft.body.message.body).toMatch(/^Bonjour Zoé Quinn — un avis \? https:/);
    expect(draft.body.sms).toMatchObject({ encoding: 'UCS-2' });
    await api
      .post(`/ops/distributions/${d}/preview`, {
        channel: 'sms',
        kind: 'invitation',
        language: 'en',
        draft: { text: 'Hi {{no_such_field}}' },
      })
      .expect(422);
    const stored = await api.get(`/ops/distributions/${d}/templates`).expect(200);
    expect(JSON.stringify(stored.body)).not.toContain('Bonjour');

    // Preview serves what a send would: a language without its own template falls back to the default.
    const german = await api
      .post(`/ops/distributions/${d}/preview`, {
        channel: 'sms',
        kind: 'invitation',
        language: 'de-AT',
        case: { caseNumber: 'CN-7', contact: { name: 'Zoé Quinn', phone: '+14155550100' } },
      })
      .expect(200);
    expect(german.body.template.language).toBe('en');

    const missing = await api
      .post(`/ops/distributions/${d}/preview`, {
        channel: 'sms',
        kind: 'invitation',
        language: 'en',
        case: {},
      })
      .expect(422);
    expect(missing.body.error.message).toContain('{{customer_first_name}}');

    const bad = await api.put(`/ops/distributions/${d}/templates`, {
      channel: 'sms',
      kind: 'invitation',
      language: 'en',
      text: 'Hi {{#if}}',
    });
    expect(bad.status).toBe(400);
    const noBody = await api.put(`/ops/distributions/${d}/templates`, {
      channel: 'email',
      kind: 'invitation',
      language: 'en',
      text: 'x',
    });
    expect(noBody.body.error.details.fields).toEqual([
      { field: 'subject', message: 'an email template needs a subject' },
    ]);

    const target = phone();
    const sent = await api
      .post(`/ops/distributions/${d}/test-send`, {
        channel: 'sms',
        kind: 'invitation',
        language: 'en',
        to: target,
        case: { contact: { name: 'Test Person' } },
      })
      .expect(202);
    await eventually(() => expect(twilio.messages(to(target))).toHaveLength(1));
    expect(twilio.messages(to(target))[0].form.Body).toMatch(
      /^invitation for Test on SAMPLE-1: https:\/\/surveys\.example\.test\/s\//,
    );
    await statusOf(sent.body.caseId, 'Invite Sent');

    const clone = await api.post(`/ops/distributions/${d}/clone`, { name: 'Copy' }).expect(201);
    expect(clone.body).toMatchObject({
      name: 'Copy',
      status: 'draft',
      accounts: { sms: { from: SMS_FROM } },
    });
    const templates = (await api.get(`/ops/distributions/${clone.body.id}/templates`).expect(200))
      .body as unknown[];
    expect(templates).toHaveLength(6);
  });
});
