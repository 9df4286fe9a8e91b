import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Topics } from '@fg/contracts';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { RuleTimersService } from '../apps/rules/src/rule-timers.service';
import { HOUR, ManualClock } from './support/clock';
import { eventually } from './support/eventually';
import { KafkaTestClient, structuredEvent } from './support/kafka';
import { opsApi } from './support/ops-api';
import { Pipeline, testConfig } from './support/pipeline';
import { SendGridStub, SendGridWebhookSigner, StubRequest } from './support/sendgrid-stub';

/** A survey with one email distribution (a draft until a rule references it) and its three templates. */
async function seedDistribution(ds: DataSource) {
  const surveyId = randomUUID();
  const distributionId = randomUUID();
  await ds.query(`INSERT INTO surveys (id, name) VALUES ($1, 'CSAT')`, [surveyId]);
  await ds.query(
    `INSERT INTO distributions (id, survey_id, name, status, accounts) VALUES ($1, $2, 'Resolved', 'draft', $3::jsonb)`,
    [distributionId, surveyId, JSON.stringify({ email: { fromEmail: 'surveys@acme.test' } })],
  );
  for (const [kind, subject] of [
    ['invitation', 'Invitation {{case_number}}'],
    ['reminder', 'Reminder {{case_number}}'],
    ['thank_you', 'Thanks {{case_number}}'],
  ])
    await ds.query(
      `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, text)
       VALUES ($1, $2, 'email', $3, 'en', $4, 'Hi {{customer_name}}: {{survey_link}}')`,
      [randomUUID(), distributionId, kind, subject],
    );
  return { surveyId, distributionId };
}

const subjectOf = (r: StubRequest) => (typeof r.body.subject === 'string' ? r.body.subject : '');

/**
 * Issue #4 over real Kafka and Postgres: rules saved over REST, the recommended three-rule setup with a
 * controllable clock, ordered actions under concurrency, loop protection, validation, trace and dry-run.
 */
describe('rule engine', () => {
  const sendgrid = new SendGridStub();
  const signer = new SendGridWebhookSigner(() => clock.now());
  const kafka = new KafkaTestClient();
  const clock = new ManualClock();
  let pipeline: Pipeline;
  let key: string;
  let topic: (k: keyof typeof Topics) => string;

  beforeAll(async () => {
    await sendgrid.start();
    const config = testConfig({
      SENDGRID_API_KEY: 'SG.test-key',
      SENDGRID_API_BASE_URL: sendgrid.url,
      SENDGRID_WEBHOOK_PUBLIC_KEY: signer.publicKeyBase64,
      RULES_MAX_CHAIN_DEPTH: '4',
    });
    topic = (k) => `${config.KAFKA_TOPIC_PREFIX}${Topics[k].name}`;
    pipeline = await new Pipeline(config, clock).start();
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('rules admin', [
          'rules:configure',
          'case-fields:configure',
          'distribution:edit',
          'distribution:view',
        ])
    ).key;
  });

  afterAll(async () => {
    await kafka.close();
    await pipeline?.close();
    await sendgrid.close();
  });

  const api = opsApi(
    () => pipeline.gateway,
    () => key,
  );

  const createRule = async (def: Record<string, unknown>) => {
    const res = await api.post('/ops/rules', def);
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  };

  const caseEvent = (caseId: string, data: Record<string, unknown>, type = 'case.updated') =>
    structuredEvent(caseId, type, { caseId, caseNumber: caseId.slice(0, 13), ...data });

  const resolved = (caseId: string, program: string, email = 'ada@example.com') =>
    caseEvent(caseId, {
      fields: { status: 'Resolved' },
      customFields: { program },
      previous: { status: 'Open' },
      contact: { name: 'Ada Lovelace', email, language: 'en' },
    });

  const mailsOf = (caseId: string) =>
    sendgrid.requests.filter((r) => subjectOf(r).endsWith(caseId.slice(0, 13)));
  const invitesOf = (caseId: string) =>
    pipeline.ds.query<{ id: string; kind: string; status: string }[]>(
      `SELECT id, kind, status FROM invites WHERE case_id = $1 ORDER BY created_at`,
      [caseId],
    );
  // The database is shared with the other suites, whose rules are evaluated for this case too: ask for the matched
  // ones when that is what counts, so a page of 500 can't be filled by other suites' non-matches.
  const evaluationsOf = async (caseId: string, matchedOnly = false) =>
    (
      await api
        .get(`/ops/rule-evaluations?caseId=${caseId}&limit=500${matchedOnly ? '&matched=true' : ''}`)
        .expect(200)
    ).body as {
      ruleId: string;
      trigger: string;
      matched: boolean;
      note: string | null;
      conditions: { children?: { condition: string; result: boolean; saw?: { value: unknown } }[] };
      run: { status: string; actions: { type: string; status: string; reason: string | null }[] } | null;
    }[];
  const timersOf = (caseId: string) =>
    pipeline.ds.query<{ due_at: Date; fired_at: Date | null }[]>(
      `SELECT due_at, fired_at FROM rule_timers WHERE case_id = $1 ORDER BY due_at`,
      [caseId],
    );

  it('runs the recommended three rules: invite on Resolved, one reminder 48 h later unless Completed or Failed, thank-you on Completed', async () => {
    const { surveyId, distributionId: d } = await seedDistribution(pipeline.ds);
    const invite = await createRule({
      name: 'Invite on Resolved',
      trigger: 'case.updated',
      conditions: {
        all: [
          { field: 'status', op: 'changed_to', value: 'Resolved' },
          { field: 'custom.program', op: 'equals', value: d },
        ],
      },
      actions: [
        { type: 'send_invitation', surveyId, distributionId: d, channel: 'email', linkField: 'survey_link' },
      ],
    });
    const reminder = await createRule({
      name: 'Reminder after 48 h',
      trigger: 'case.updated',
      conditions: {
        all: [
          { survey: 'last_sent_before', distributionId: d, channel: 'email', amount: 48, unit: 'hours' },
          { survey: 'response_status', distributionId: d, op: 'not_in', value: ['Completed'] },
          {
            survey: 'invite_status',
            distributionId: d,
            channel: 'email',
            op: 'not_in',
            value: ['Failed', 'Suppressed', 'Unsubscribed', 'No Invite'],
          },
        ],
      },
      actions: [{ type: 'send_reminder', distributionId: d, channel: 'email', maxReminders: 1 }],
    });
    await createRule({
      name: 'Thank you on Completed',
      trigger: 'response.status.changed',
      conditions: { survey: 'response_status', distributionId: d, op: 'in', value: ['Completed'] },
      actions: [{ type: 'send_thank_you', distributionId: d, channel: 'email' }],
    });
    // Referencing the draft distribution made it active.
    const [dist] = await pipeline.ds.query(`SELECT status FROM distributions WHERE id = $1`, [d]);
    expect(dist.status).toBe('active');

    const silent = `quiet-${randomUUID()}`;
    const answered = `answer-${randomUUID()}`;
    const bounced = `bounce-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [
      resolved(silent, d),
      resolved(answered, d),
      resolved(bounced, d, 'nobody@bounce.test'),
    ]);
    for (const c of [silent, answered, bounced])
      await eventually(async () =>
        expect((await invitesOf(c)).map((i) => i.status)).toEqual(['Invite Sent']),
      );

    // The respondent of `answered` completes the survey (reported by the survey tool over REST) → thank-you.
    const [link] = await pipeline.ds.query(`SELECT id FROM survey_links WHERE case_id = $1`, [answered]);
    const done = await api.post(`/ops/links/${link.id}/response-status`, { status: 'Completed' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'Completed', changed: true });
    await eventually(() =>
      expect(mailsOf(answered).map(subjectOf)).toEqual([
        `Invitation ${answered.slice(0, 13)}`,
        `Thanks ${answered.slice(0, 13)}`,
      ]),
    );
    // A second report changes nothing and sends no second thank-you.
    const again = await api.post(`/ops/links/${link.id}/response-status`, { status: 'Completed' });
    expect(again.body).toMatchObject({ changed: false });

    // `bounced` hard-bounces: its invite becomes Failed.
    const [bouncedInvite] = await invitesOf(bounced);
    const events = JSON.stringify([
      {
        email: 'nobody@bounce.test',
        timestamp: Math.floor(Date.now() / 1000),
        event: 'bounce',
        type: 'bounce',
        reason: '550 5.1.1 mailbox does not exist',
        sg_event_id: randomUUID(),
        invite_id: bouncedInvite.id,
      },
    ]);
    await request(pipeline.gateway)
      .post('/webhooks/sendgrid')
      .set('Content-Type', 'application/json')
      .set(signer.sign(events))
      .send(events)
      .expect(200, { accepted: 1 });
    await eventually(async () => expect((await invitesOf(bounced))[0].status).toBe('Failed'));

    // Each sent invitation scheduled its re-evaluation 48 h after sending; 47 h later nothing is due yet.
    for (const c of [silent, answered, bounced])
      await eventually(async () => expect(await timersOf(c)).toHaveLength(1));
    clock.advance(47 * HOUR);
    await pipeline.apps.get('rules')!.get(RuleTimersService).tick();
    for (const c of [silent, answered, bounced]) expect((await timersOf(c))[0].fired_at).toBeNull();

    // The rules app is down when they come due; 48 h and a minute after, once it is back, the timers fire
    // without any case update: nothing was lost with the process.
    await pipeline.stopApp('rules');
    clock.advance(HOUR + 60_000);
    await pipeline.startApp('rules');
    for (const c of [silent, answered, bounced])
      await eventually(async () => expect((await timersOf(c))[0].fired_at).not.toBeNull());
    await eventually(() =>
      expect(mailsOf(silent).map(subjectOf)).toEqual([
        `Invitation ${silent.slice(0, 13)}`,
        `Reminder ${silent.slice(0, 13)}`,
      ]),
    );
    // Completed and Failed cases were evaluated at that moment and did not match; the trace says why.
    const answeredTimer = (await evaluationsOf(answered)).find((e) => e.trigger === 'timer')!;
    expect(answeredTimer).toMatchObject({ ruleId: reminder.id, matched: false, run: null });
    expect(answeredTimer.conditions.children![1]).toMatchObject({
      result: false,
      saw: { value: 'Completed' },
    });
    const bouncedTimer = (await evaluationsOf(bounced)).find((e) => e.trigger === 'timer')!;
    expect(bouncedTimer.matched).toBe(false);
    expect(bouncedTimer.conditions.children![2]).toMatchObject({ result: false, saw: { value: 'Failed' } });
    expect((await invitesOf(answered)).map((i) => i.kind)).toEqual(['invitation', 'thank_you']);
    expect((await invitesOf(bounced)).map((i) => i.kind)).toEqual(['invitation']);

    // The reminder scheduled its own re-evaluation; 48 h later the rule matches again, but one reminder is the cap.
    await eventually(async () => expect(await timersOf(silent)).toHaveLength(2));
    clock.advance(49 * HOUR);
    await eventually(async () => {
      const last = (await evaluationsOf(silent)).filter((e) => e.trigger === 'timer' && e.matched);
      expect(last).toHaveLength(2);
      expect(last[0].run?.actions[0]).toMatchObject({
        type: 'send_reminder',
        status: 'skipped',
        reason: expect.stringMatching(/^REMINDER_LIMIT_REACHED/),
      });
    });
    expect(mailsOf(silent)).toHaveLength(2);
    const invitation = (await evaluationsOf(silent)).find((e) => e.ruleId === invite.id && e.matched)!;
    expect(invitation.run).toMatchObject({ status: 'completed', actions: [{ status: 'completed' }] });
  });

  it('runs several actions of one rule strictly in order, for many cases at once', async () => {
    const { distributionId: d } = await seedDistribution(pipeline.ds);
    // The invitation is slow at the provider: actions fired all at once would let the thank-you overtake it.
    sendgrid.respondWith((r) => ({ status: 202, delayMs: subjectOf(r).startsWith('Invitation') ? 400 : 0 }));
    const rule = await createRule({
      name: 'Ordered',
      trigger: 'case.updated',
      conditions: {
        all: [
          { field: 'status', op: 'changed_to', value: 'Resolved' },
          { field: 'custom.program', op: 'equals', value: d },
        ],
      },
      actions: [
        { type: 'set_field', field: 'custom.stage', value: 'inviting' },
        { type: 'send_invitation', distributionId: d, channel: 'email', linkField: 'survey_link' },
        { type: 'send_thank_you', distributionId: d, channel: 'email' },
        { type: 'move_to_queue', queue: 'Surveyed' },
      ],
    });
    const updates = await kafka.watch(topic('caseFieldUpdates'));
    const cases = Array.from({ length: 12 }, () => `order-${randomUUID()}`);
    await kafka.produce(
      topic('caseEvents'),
      cases.map((c) => resolved(c, d)),
    );
    for (const c of cases) {
      await eventually(async () => {
        const [kase] = await pipeline.ds.query(`SELECT fields, custom_fields FROM cases WHERE id = $1`, [c]);
        expect(kase.fields.queue).toBe('Surveyed');
      }, 30_000);
      const [invitation, thanks] = mailsOf(c);
      expect(subjectOf(invitation)).toMatch(/^Invitation/);
      expect(subjectOf(thanks)).toMatch(/^Thanks/);
      // The thank-you was asked for only after the provider had accepted the invitation.
      expect(thanks.receivedAt).toBeGreaterThanOrEqual(invitation.answeredAt!);
      await eventually(() => {
        const fields = updates
          .json<{ caseId: string; field: string; value: unknown }>()
          .filter((m) => m.data.caseId === c)
          .map((m) => m.data.field);
        expect(fields).toEqual(['custom.stage', 'survey_link', 'queue']);
      });
      const [ev, ...others] = (await evaluationsOf(c)).filter((e) => e.ruleId === rule.id && e.matched);
      expect(others).toEqual([]);
      expect(ev.run).toMatchObject({
        status: 'completed',
        actions: [
          { type: 'set_field', status: 'completed' },
          { type: 'send_invitation', status: 'completed' },
          { type: 'send_thank_you', status: 'completed' },
          { type: 'move_to_queue', status: 'completed' },
        ],
      });
    }
    sendgrid.respondWith(() => ({ status: 202 }));
  });

  it('sends to the recipient field the action names, in the language of the last message', async () => {
    const { distributionId: d } = await seedDistribution(pipeline.ds);
    await pipeline.ds.query(
      `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, text)
       VALUES ($1, $2, 'email', 'invitation', 'fr', 'Invitation FR {{case_number}}', 'Bonjour {{survey_link}}')`,
      [randomUUID(), d],
    );
    await createRule({
      name: 'Invite the work address',
      trigger: 'case.updated',
      conditions: { field: 'custom.program', op: 'equals', value: d },
      actions: [
        {
          type: 'send_invitation',
          distributionId: d,
          channel: 'email',
          recipientField: 'profile.work_email',
          language: 'last_message',
        },
      ],
    });
    // An earlier message on this case went out in French.
    const c = `recipient-${randomUUID()}`;
    await pipeline.ds.query(`INSERT INTO cases (id, fields, custom_fields) VALUES ($1, '{}', '{}')`, [c]);
    const [{ id: linkId }] = await pipeline.ds.query(
      `INSERT INTO survey_links (id, distribution_id, token_hash, token_nonce, transaction_data, language)
       VALUES ($1, $2, $3, '\\x00', '{}', 'fr') RETURNING id`,
      [randomUUID(), d, randomUUID()],
    );
    await pipeline.ds.query(
      `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient, status,
                            delivery_status, sent_at)
       VALUES ($1, $2, $3, $4, $5, 'sms', 'thank_you', 'fr', '+14155550100', 'Invite Sent', 'delivered', now())`,
      [randomUUID(), randomUUID(), linkId, randomUUID(), c],
    );
    await kafka.produce(topic('caseEvents'), [
      caseEvent(c, {
        customFields: { program: d },
        contact: {
          name: 'Ada',
          email: 'home@example.com',
          language: 'en',
          attributes: { work_email: 'ada@work.test' },
        },
      }),
    ]);
    const mail = await eventually(() => {
      const [m] = mailsOf(c);
      expect(m).toBeDefined();
      return m;
    });
    expect(subjectOf(mail)).toBe(`Invitation FR ${c.slice(0, 13)}`);
    expect((mail.body.personalizations as { to: { email: string }[] }[])[0].to).toEqual([
      { email: 'ada@work.test' },
    ]);
  });

  it('stops a failed run: the actions after a failed one are not run', async () => {
    const { distributionId: d } = await seedDistribution(pipeline.ds);
    const rule = await createRule({
      name: 'Invite then tag',
      trigger: 'case.updated',
      conditions: { field: 'custom.program', op: 'equals', value: d },
      actions: [
        { type: 'send_invitation', distributionId: d, channel: 'email' },
        { type: 'set_field', field: 'custom.invited', value: true },
      ],
    });
    const c = `noemail-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [caseEvent(c, { customFields: { program: d } })]);
    await eventually(async () => {
      const [ev] = (await evaluationsOf(c)).filter((e) => e.ruleId === rule.id);
      expect(ev.run).toMatchObject({
        status: 'failed',
        actions: [
          { status: 'failed', reason: expect.stringMatching(/NO_RECIPIENT_EMAIL/) },
          { status: 'not_run' },
        ],
      });
    });
    const [kase] = await pipeline.ds.query(`SELECT custom_fields FROM cases WHERE id = $1`, [c]);
    expect(kase.custom_fields.invited).toBeUndefined();
  });

  it('cuts rules that trigger each other after RULES_MAX_CHAIN_DEPTH hops and reports the cut', async () => {
    const tag = randomUUID();
    const scope = { field: 'custom.loop', op: 'equals', value: tag };
    await createRule({
      name: 'ping',
      trigger: 'case.updated',
      conditions: { all: [scope, { field: 'status', op: 'changed_to', value: 'Ping' }] },
      actions: [{ type: 'set_field', field: 'status', value: 'Pong' }],
    });
    await createRule({
      name: 'pong',
      trigger: 'case.updated',
      conditions: { all: [scope, { field: 'status', op: 'changed_to', value: 'Pong' }] },
      actions: [{ type: 'set_field', field: 'status', value: 'Ping' }],
    });
    const c = `loop-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [
      caseEvent(c, { fields: { status: 'Ping' }, customFields: { loop: tag } }),
    ]);
    const cut = await eventually(async () => {
      const evs = await evaluationsOf(c, true);
      const hit = evs.find((e) => e.note);
      expect(hit).toBeDefined();
      return { evs, hit: hit! };
    });
    expect(cut.hit.note).toMatch(/^loop cut: 4 rule actions in a row/);
    expect(cut.hit.run).toBeNull();
    // The original event plus four rule hops ran actions; the fifth evaluation was cut.
    expect(cut.evs.filter((e) => e.run)).toHaveLength(4);
    const metrics = await request(pipeline.apps.get('rules')!.getHttpServer()).get('/metrics');
    expect(metrics.text).toMatch(/fg_rule_chain_cuts_total\{[^}]*\} [1-9]/);
  });

  it('validates rules on save with errors that point at the offending part', async () => {
    const { distributionId: d, surveyId } = await seedDistribution(pipeline.ds);
    const bad = await api.post('/ops/rules', {
      name: 'bad',
      trigger: 'case.updated',
      conditions: {
        all: [
          { field: 'status', op: 'equals', value: 'Resolved' },
          { survey: 'last_sent_before', distributionId: d, amount: 2, unit: 'fortnights' },
        ],
      },
      actions: [{ type: 'send_reminder', distributionId: d, channel: 'pigeon' }],
    });
    expect(bad.status).toBe(400);
    const fields = (bad.body.error.details.fields as { field: string }[]).map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['conditions.all.1.unit', 'actions.0.channel']));

    const wrongSurvey = randomUUID();
    const expired = (await seedDistribution(pipeline.ds)).distributionId;
    await pipeline.ds.query(`UPDATE distributions SET status = 'expired' WHERE id = $1`, [expired]);
    const refs = await api.post('/ops/rules', {
      name: 'refs',
      trigger: 'case.updated',
      conditions: { survey: 'invite_status', distributionId: expired, op: 'in', value: ['Failed'] },
      actions: [
        { type: 'send_invitation', surveyId: wrongSurvey, distributionId: d, channel: 'email' },
        { type: 'send_thank_you', distributionId: randomUUID(), channel: 'sms' },
      ],
    });
    expect(refs.status).toBe(400);
    expect(refs.body.error.details.fields).toEqual([
      { field: 'conditions.distributionId', message: expect.stringContaining('is expired') },
      {
        field: 'actions.0.surveyId',
        message: `distribution ${d} belongs to survey ${surveyId}, not ${wrongSurvey}`,
      },
      { field: 'actions.1.distributionId', message: expect.stringContaining('does not exist') },
    ]);

    // A key scoped to other surveys can't reference this one.
    const scoped = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('other team', ['rules:configure'], [randomUUID()])
    ).key;
    const forbidden = await request(pipeline.gateway)
      .post('/ops/rules')
      .set('Authorization', `Bearer ${scoped}`)
      .send({
        name: 'not mine',
        trigger: 'case.updated',
        conditions: { field: 'status', op: 'equals', value: 'Resolved' },
        actions: [{ type: 'send_invitation', distributionId: d, channel: 'email' }],
      });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.details.fields[0].field).toBe('actions.0.distributionId');
    const [count] = await pipeline.ds.query(
      `SELECT count(*)::int AS n FROM rules WHERE name IN ('bad','refs','not mine')`,
    );
    expect(count.n).toBe(0);
  });

  it('versions edits (a running evaluation keeps its version) and dry-runs with a trace and no side effects', async () => {
    const { distributionId: d } = await seedDistribution(pipeline.ds);
    const def = {
      name: 'Dry',
      trigger: 'case.updated',
      conditions: {
        all: [
          { field: 'priority', op: 'in', value: ['High', 'Urgent'] },
          { survey: 'invite_status', distributionId: d, op: 'in', value: ['No Invite'] },
        ],
      },
      actions: [{ type: 'send_invitation', distributionId: d, channel: 'email' }],
    };
    const rule = await createRule({ ...def, enabled: false });
    const edited = await api.put(`/ops/rules/${rule.id}`, { ...def, enabled: false, name: 'Dry v2' });
    expect(edited.body.version).toBe(2);
    expect((await api.get(`/ops/rules/${rule.id}/versions/1`).expect(200)).body.name).toBe('Dry');

    const dryCase = `dry-${randomUUID()}`;
    const dry = await api
      .post(`/ops/rules/${rule.id}/dry-run`, {
        case: { caseId: dryCase, fields: { priority: 'Urgent' } },
      })
      .expect(200);
    expect(dry.body).toMatchObject({
      rule: { id: rule.id, version: 2, name: 'Dry v2' },
      triggerMatches: true,
      matched: false, // disabled
      conditions: {
        result: true,
        children: [
          { condition: 'priority in ["High","Urgent"]', result: true, saw: { value: 'Urgent' } },
          { result: true, saw: { value: 'No Invite' } },
        ],
      },
    });
    await api.post(`/ops/rules/${rule.id}/enable`, {}).expect(200);
    const live = await api
      .post(`/ops/rules/${rule.id}/dry-run`, {
        case: { caseId: dryCase, fields: { priority: 'Urgent' } },
        survey: {
          invites: [
            { distributionId: d, channel: 'email', kind: 'invitation', status: 'Invite Sent', sentAt: null },
          ],
          responses: [],
        },
      })
      .expect(200);
    expect(live.body.matched).toBe(false);
    expect(live.body.conditions.children[1].saw.value).toBe('Invite Sent');
    expect(live.body.actions).toEqual([]);
    // Nothing was written: no case snapshot, no evaluation, no run.
    expect(await pipeline.ds.query(`SELECT 1 FROM cases WHERE id = $1`, [dryCase])).toEqual([]);
    expect(await pipeline.ds.query(`SELECT 1 FROM rule_evaluations WHERE case_id = $1`, [dryCase])).toEqual(
      [],
    );
    expect(await pipeline.ds.query(`SELECT 1 FROM rule_runs WHERE rule_id = $1`, [rule.id])).toEqual([]);
    await api.post(`/ops/rules/${rule.id}/disable`, {}).expect(200);
  });

  it('prunes traces older than RULES_TRACE_RETENTION_DAYS, keeping runs that still wait', async () => {
    const c = `old-${randomUUID()}`;
    const ruleId = randomUUID();
    const old = new Date(clock.now().getTime() - 31 * 24 * HOUR);
    const recent = new Date(clock.now().getTime() - 29 * 24 * HOUR);
    for (const [at, tag] of [
      [old, 'old'],
      [recent, 'recent'],
    ] as const) {
      await pipeline.ds.query(
        `INSERT INTO rule_evaluations (id, case_id, rule_id, rule_version, trigger, event_id, matched, conditions, evaluated_at)
         VALUES ($1, $2, $3, 1, 'case.updated', $4, false, '{}', $5)`,
        [randomUUID(), c, ruleId, tag, at],
      );
      for (const status of ['completed', 'running'])
        await pipeline.ds.query(
          `INSERT INTO rule_runs (id, rule_id, rule_version, case_id, correlation_id, status, steps, updated_at)
           VALUES ($1, $2, 1, $3, $4, $5, '[]', $6)`,
          [randomUUID(), ruleId, c, tag, status, at],
        );
      await pipeline.ds.query(
        `INSERT INTO rule_timers (id, rule_id, case_id, due_at, reason, fired_at) VALUES ($1, $2, $3, $4, $5, $4)`,
        [randomUUID(), ruleId, c, at, tag],
      );
    }
    expect(await pipeline.apps.get('rules')!.get(RuleTimersService).prune()).toBeGreaterThanOrEqual(3);
    const left = async (table: string, col: string) =>
      (await pipeline.ds.query(`SELECT ${col} AS v FROM ${table} WHERE case_id = $1 ORDER BY 1`, [c])).map(
        (r: { v: string }) => r.v,
      );
    expect(await left('rule_evaluations', 'event_id')).toEqual(['recent']);
    expect(await left('rule_timers', 'reason')).toEqual(['recent']);
    expect(await left('rule_runs', `correlation_id || ':' || status`)).toEqual([
      'old:running',
      'recent:completed',
      'recent:running',
    ]);
  });
});
