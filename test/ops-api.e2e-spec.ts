import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { InboxPruner } from '@fg/messaging';
import { opsClient } from '@fg/api-client';
import type { AddressInfo } from 'node:net';
import { eventually } from './support/eventually';
import { Pipeline, testConfig } from './support/pipeline';

describe('ops REST', () => {
  let pipeline: Pipeline;
  let viewer: string;
  let editor: string;

  beforeAll(async () => {
    pipeline = await new Pipeline(testConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: undefined })).start(['gateway']);
    twilioPipeline = await new Pipeline(
      testConfig({ TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}` }),
    ).start(['gateway']);
    const keys = pipeline.apps.get('gateway')!.get(ApiKeyService);
    viewer = (await keys.create('viewer', ['distribution:view'])).key;
    editor = (await keys.create('publisher', ['case-events:publish'])).key;
  });

  let twilioPipeline: Pipeline;
  const TWILIO_TOKEN = 'twilio-auth-token-for-tests';

  afterAll(async () => {
    await pipeline?.close();
    await twilioPipeline?.close();
  });

  it('accepts Twilio status callbacks only with a valid X-Twilio-Signature over the public URL', async () => {
    const inviteId = randomUUID();
    const path = `/webhooks/twilio/status?inviteId=${inviteId}`;
    const params = { MessageSid: 'SM' + '1'.repeat(32), MessageStatus: 'delivered', To: '+14155550100' };
    const signature = getExpectedTwilioSignature(TWILIO_TOKEN, `https://surveys.example.test${path}`, params);
    await request(twilioPipeline.gateway)
      .post(path)
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send(params)
      .expect(200, { accepted: 1 });
    await request(twilioPipeline.gateway)
      .post(path)
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send({ ...params, MessageStatus: 'failed' })
      .expect(401);
    // The genuine callback became a receipt (applied by the gateway's receipts consumer); the forged one didn't.
    await eventually(async () => {
      const rows = await twilioPipeline.ds.query(
        `SELECT provider, event FROM delivery_receipts WHERE invite_id = $1`,
        [inviteId],
      );
      expect(rows).toEqual([{ provider: 'twilio', event: 'delivered' }]);
    });
  });

  it('requires a key (401) carrying the endpoint’s permission (403)', async () => {
    const s = pipeline.gateway;
    expect((await request(s).get('/ops/distributions').expect(401)).body.error.code).toBe('UNAUTHENTICATED');
    await request(s)
      .get('/ops/distributions')
      .set('Authorization', 'Bearer fgk_not-a-real-key-at-all-000000000')
      .expect(401);
    const denied = await request(s)
      .get('/ops/distributions')
      .set('Authorization', `Bearer ${editor}`)
      .expect(403);
    expect(denied.body.error.message).toContain('"distribution:view"');
    await request(s).get('/ops/distributions').set('X-API-Key', viewer).expect(200);
    await request(s)
      .post('/events/cases')
      .set('Authorization', `Bearer ${viewer}`)
      .set('Content-Type', 'application/cloudevents+json')
      .send('{}')
      .expect(403);
  });

  it('stores keys only as hashes', async () => {
    const rows: { key_hash: string }[] = await pipeline.ds.query(`SELECT key_hash FROM api_keys`);
    expect(rows.some((r) => r.key_hash === viewer)).toBe(false);
    expect(JSON.stringify(rows)).not.toContain(viewer.slice(4));
  });

  it('names the offending query field in a 400', async () => {
    const res = await request(pipeline.gateway)
      .get('/ops/invites?limit=0')
      .set('X-API-Key', viewer)
      .expect(400);
    expect(res.body.error.details.fields).toEqual([
      { field: 'limit', message: expect.stringContaining('1') },
    ]);
  });

  it('serves the OpenAPI document with the ops endpoints and bearer auth', async () => {
    await request(pipeline.gateway).get('/docs/openapi.json').expect(401);
    const doc = (
      await request(pipeline.gateway)
        .get('/docs/openapi.json')
        .auth('', viewer, { type: 'basic' })
        .expect(200)
    ).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/ops/invites', '/ops/cases/{id}', '/events/cases']),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('rejects webhooks when no verification key is configured', async () => {
    await request(pipeline.gateway)
      .post('/webhooks/sendgrid')
      .send([{ event: 'open', invite_id: randomUUID() }])
      .expect(401);
    await request(pipeline.gateway)
      .post('/webhooks/twilio/status')
      .type('form')
      .send({ MessageStatus: 'delivered' })
      .expect(401);
  });

  it('exposes health and Prometheus metrics', async () => {
    // Readiness on Kafka: the broker answers, every consumer is in its group, and their lag is reported.
    const ready = await request(pipeline.gateway).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: {
        database: { status: 'up' },
        messaging: { status: 'up', transport: 'kafka' },
        consumerLag: { status: 'up', limit: 10000 },
        outbox: { status: 'up' },
      },
    });
    expect(Object.keys(ready.body.details.consumerLag.lag)).toContain(
      `${pipeline.config.KAFKA_TOPIC_PREFIX}gateway-webhooks-invite-status`,
    );
    await request(pipeline.gateway).get('/health/live').expect(200, { status: 'ok' });
    // Metrics on the public port need a key with metrics:read (Prometheus sends it as a bearer token).
    expect((await request(pipeline.gateway).get('/metrics').expect(401)).headers['www-authenticate']).toMatch(
      /^Basic/,
    );
    await request(pipeline.gateway).get('/metrics').set('Authorization', `Bearer ${viewer}`).expect(403);
    const scraper = (
      await pipeline.apps.get('gateway')!.get(ApiKeyService).create('prometheus', ['metrics:read'])
    ).key;
    const m = await request(pipeline.gateway)
      .get('/metrics')
      .set('Authorization', `Bearer ${scraper}`)
      .expect(200);
    expect(m.text).toContain('process_cpu_seconds_total{app="gateway"}');
  });
});

describe('inbox retention', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await new Pipeline(testConfig()).start(['rules']);
  });
  afterAll(() => pipeline?.close());

  it('forgets handled message ids older than the retention, and only those of its own consumers', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await pipeline.ds.query(
      `INSERT INTO inbox (consumer, message_id, processed_at) VALUES
         ('rules', $1, now() - interval '200 hours'), ('rules', $2, now() - interval '1 hour'),
         ('someone-else', $3, now() - interval '200 hours')`,
      ids,
    );
    const pruner = pipeline.apps.get('rules')!.get(InboxPruner);
    expect(await pruner.prune(['rules'], 168)).toBeGreaterThanOrEqual(1);
    const left = await pipeline.ds.query(`SELECT message_id FROM inbox WHERE message_id = ANY($1)`, [ids]);
    expect(left.map((r: { message_id: string }) => r.message_id).sort()).toEqual([ids[1], ids[2]].sort());
  });
});

describe('the typed ops client', () => {
  let typed: Pipeline;
  beforeAll(async () => {
    typed = await new Pipeline(testConfig()).start(['gateway']);
  });
  afterAll(async () => {
    await typed?.close();
  });

  it('is usable through the typed client generated from its OpenAPI document', async () => {
    const gateway = typed.apps.get('gateway')!;
    const server = gateway.getHttpServer() as import('http').Server;
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const admin = (
      await gateway.get(ApiKeyService).create('console', ['distribution:edit', 'distribution:view'])
    ).key;
    const ops = opsClient(base, admin);
    const created = await ops.POST('/ops/surveys', {
      body: { name: 'Typed', questions: [{ id: 'nps', type: 'nps', label: { en: 'Recommend us?' } }] },
    });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const { data } = await ops.GET('/ops/surveys/{id}', { params: { path: { id } } });
    expect(data).toMatchObject({
      id,
      name: 'Typed',
      status: 'active',
      questions: [{ id: 'nps', type: 'nps' }],
    });
    // Errors come typed too: the Error schema's code and message.
    const missing = await ops.GET('/ops/surveys/{id}', { params: { path: { id: randomUUID() } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe('NOT_FOUND');
    await new Promise<void>((r) => server.close(() => r()));
  });
});
