import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { Pipeline, testConfig } from './support/pipeline';

describe('ops REST', () => {
  let pipeline: Pipeline;
  let viewer: string;
  let editor: string;

  beforeAll(async () => {
    pipeline = await new Pipeline(testConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: undefined })).start(['gateway']);
    const keys = pipeline.apps.get('gateway')!.get(ApiKeyService);
    viewer = (await keys.create('viewer', ['distribution:view'])).key;
    editor = (await keys.create('publisher', ['case-events:publish'])).key;
  });

  afterAll(() => pipeline?.close());

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
    const doc = (await request(pipeline.gateway).get('/docs/openapi.json').expect(200)).body;
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
    await request(pipeline.gateway).get('/health').expect(200, { status: 'ok', database: 'up' });
    const m = await request(pipeline.gateway).get('/metrics').expect(200);
    expect(m.text).toContain('process_cpu_seconds_total{app="gateway"}');
  });
});
