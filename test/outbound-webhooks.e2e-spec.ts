import { randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { Topics } from '@fg/contracts';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { ManualClock } from './support/clock';
import { eventually } from './support/eventually';
import { KafkaTestClient, linkIssuedEvent, structuredEvent } from './support/kafka';
import { opsApi } from './support/ops-api';
import { Pipeline, testConfig } from './support/pipeline';
import { smsDistribution } from './support/sms-distribution';
import { TwilioStub } from './support/twilio-stub';

const SMS_FROM = '+15005550026';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** The customer's endpoint: records what it is sent, answers what the test says. */
class Receiver {
  readonly received: Received[] = [];
  status: (path: string) => number = () => 204;
  private server?: Server;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) });
        res.writeHead(this.status(req.url ?? '')).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  at(path: string) {
    return this.received.filter((r) => r.path === path);
  }

  close() {
    return new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/**
 * Issue #10, outbound webhooks: the customer's CRM subscribes to our events and gets each one signed per Standard
 * Webhooks (verified here with the specification's own library), retried over about a day when its endpoint fails,
 * then dead-lettered and redrivable like every other dead letter.
 */
describe('outbound webhooks', () => {
  const clock = new ManualClock();
  const twilio = new TwilioStub(() => clock.now());
  const receiver = new Receiver();
  const kafka = new KafkaTestClient();
  let pipeline: Pipeline;
  let key: string;
  let topic: (k: keyof typeof Topics) => string;

  beforeAll(async () => {
    await twilio.start();
    await receiver.start();
    const config = testConfig({
      TWILIO_ACCOUNT_SID: `AC${'e5'.repeat(16)}`,
      TWILIO_AUTH_TOKEN: 'twilio-token-for-webhook-tests',
      TWILIO_API_BASE_URL: twilio.url,
      WEBHOOK_POLL_MS: '50',
    });
    topic = (k) => `${config.KAFKA_TOPIC_PREFIX}${Topics[k].name}`;
    pipeline = await new Pipeline(config, clock).start(['gateway', 'rules', 'link-issuer', 'sender-sms']);
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('integrations', [
          'rules:configure',
          'case-fields:configure',
          'distribution:edit',
          'distribution:view',
          'webhooks:manage',
          'dead-letters:manage',
        ])
    ).key;
  });

  afterAll(async () => {
    await kafka.close();
    await pipeline?.close();
    await twilio.close();
    await receiver.close();
  });

  const api = opsApi(
    () => pipeline.gateway,
    () => key,
  );

  async function resolvedCase() {
    const d = await smsDistribution(pipeline.ds, api, {
      from: SMS_FROM,
      text: 'Rate us: {{survey_link}}',
      linkField: 'survey_link',
    });
    const caseId = `case-${randomUUID()}`;
    await kafka.produce(topic('caseEvents'), [
      structuredEvent(caseId, 'case.updated', {
        caseId,
        customFields: { program: d },
        contact: { name: 'Ada', phone: `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}` },
      }),
    ]);
    return caseId;
  }

  it('delivers the link, the case field update and invite statuses, signed per Standard Webhooks', async () => {
    await api.post('/ops/webhooks', { name: 'CRM', url: 'ftp://crm', events: ['case.events'] }).expect(400);
    const created = await api
      .post('/ops/webhooks', {
        name: 'CRM',
        url: `${receiver.url}/crm`,
        events: ['link.issued', 'case.field-updates', 'invite.status'],
      })
      .expect(201);
    const { id, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const listed = await api.get('/ops/webhooks').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));
    expect(JSON.stringify(listed.body)).not.toContain('secretCiphertext');

    const caseId = await resolvedCase();
    const of = (type: string) =>
      receiver.at('/crm').filter((r) => r.json.type === type && r.json.data.caseId === caseId);
    await eventually(() => {
      expect(of('link.issued')).toHaveLength(1);
      expect(of('case.field-updates')).toHaveLength(1);
      expect(of('invite.status').map((r) => r.json.data.status)).toContain('Invite Sent');
    });
    // What the CRM needs to apply the link, and proof that it came from us.
    const [link] = of('link.issued');
    const [field] = of('case.field-updates');
    expect(JSON.stringify(field.json.data)).toContain(String(link.json.data.url));
    const verifier = new Webhook(secret);
    for (const r of [...of('link.issued'), ...of('case.field-updates'), ...of('invite.status')]) {
      expect(() => verifier.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
      expect(r.headers['webhook-signature']).toMatch(/^v1,/);
    }
    // A changed body under the captured headers does not verify.
    const captured = link.headers as Record<string, string>;
    expect(() => verifier.verify(link.body.replace('link', 'lank'), captured)).toThrow();

    const log = await api.get(`/ops/webhooks/${id}/deliveries?status=succeeded`).expect(200);
    const mine = (
      log.body as {
        id: string;
        attempts: number;
        lastStatusCode: number;
        payload: { data: { caseId?: string } };
      }[]
    ).filter((d) => d.payload.data.caseId === caseId);
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.every((d) => d.attempts === 1 && d.lastStatusCode === 204)).toBe(true);
    expect(mine.map((d) => d.id)).toContain(link.headers['webhook-id']);
  });

  it('an event Kafka delivers twice reaches the endpoint once (the delivery is unique per subscription and event)', async () => {
    const created = await api
      .post('/ops/webhooks', { name: 'Once', url: `${receiver.url}/once`, events: ['link.issued'] })
      .expect(201);
    const { id } = created.body as { id: string };
    const caseId = `case-${randomUUID()}`;
    const linkIssued = (id: string) => ({
      key: caseId,
      value: JSON.stringify(linkIssuedEvent(id, caseId)),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    const twice = randomUUID();
    const after = randomUUID();
    // Same key, one partition: the sentinel is handled after both copies.
    await kafka.produce(topic('linkIssued'), [linkIssued(twice), linkIssued(twice), linkIssued(after)]);
    const deliveries = async () =>
      (await api.get(`/ops/webhooks/${id}/deliveries`).expect(200)).body as {
        status: string;
        eventId: string;
      }[];
    await eventually(async () => {
      const all = await deliveries();
      expect(all.map((d) => d.eventId).sort()).toEqual(
        [`link-issuer#${twice}`, `link-issuer#${after}`].sort(),
      );
      expect(all.every((d) => d.status === 'succeeded')).toBe(true);
    });
    expect(receiver.at('/once')).toHaveLength(2);
  });

  it('retries a failing endpoint on its schedule for about a day, then dead-letters it; a redrive delivers it', async () => {
    let down = true;
    receiver.status = (path) => (path === '/down' && down ? 503 : 204);
    const sub = (
      await api
        .post('/ops/webhooks', { name: 'BI', url: `${receiver.url}/down`, events: ['invite.status'] })
        .expect(201)
    ).body as { id: string; secret: string };
    const caseId = await resolvedCase();
    const deliveryOf = async () => {
      const log = await api.get(`/ops/webhooks/${sub.id}/deliveries`).expect(200);
      return (
        log.body as {
          id: string;
          status: string;
          attempts: number;
          nextAttemptAt: string | null;
          lastAttemptAt: string | null;
          payload: { data: { caseId: string; status: string } };
        }[]
      ).find((d) => d.payload.data.caseId === caseId && d.payload.data.status === 'Invite Sent')!;
    };
    // Each attempt fails; the next one comes at the schedule's next step (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      const d = await eventually(async () => {
        const x = await deliveryOf();
        expect(x?.attempts).toBe(attempt);
        return x;
      });
      if (d.status === 'pending') {
        const wait = Date.parse(d.nextAttemptAt!) - Date.parse(d.lastAttemptAt!);
        waits.push(Math.round(wait / 1000));
        clock.advance(Date.parse(d.nextAttemptAt!) - clock.now().getTime() + 100);
      } else expect(d.status).toBe('failed');
    }
    expect(waits).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    const failed = await deliveryOf();
    expect(failed).toMatchObject({ status: 'failed', attempts: 8 });
    const calls = receiver.at('/down').filter((r) => r.headers['webhook-id'] === failed.id);
    expect(calls).toHaveLength(8); // the same webhook-id on every attempt: the receiver can deduplicate

    const letters = await api
      .get('/ops/dead-letters?consumer=gateway-webhooks&code=WEBHOOK_FAILED')
      .expect(200);
    const letter = (
      letters.body.items as { id: string; reason: string; headers: Record<string, string> }[]
    ).find((l) => l.headers['webhook-id'] === failed.id)!;
    expect(letter.reason).toMatch(/^WEBHOOK_FAILED: HTTP 503 after 8 attempts/);

    down = false;
    await api
      .post(`/ops/dead-letters/${letter.id}/redrive`, {})
      .expect(200)
      .expect((r) => expect(r.body).toMatchObject({ redriven: 1, webhooksReopened: 1 }));
    await eventually(async () =>
      expect(await deliveryOf()).toMatchObject({ status: 'succeeded', attempts: 1 }),
    );
    expect(receiver.at('/down').filter((r) => r.headers['webhook-id'] === failed.id)).toHaveLength(9);
    const last = receiver.at('/down').filter((r) => r.headers['webhook-id'] === failed.id)[8];
    expect(() =>
      new Webhook(sub.secret).verify(last.body, last.headers as Record<string, string>),
    ).not.toThrow();
  });
});
