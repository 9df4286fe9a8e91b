import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadConfig } from '@fg/common';
import { InProcessTransport, OutboxService, TopicNames, UnitOfWork } from '@fg/messaging';
import { OutboxRepository } from '../../messaging/src/outbox.repository';
import { mediumDataSource } from '../../../test/support/medium';
import { createApp, initApp } from './create-app';

/** Records whether the database was still open when the app's consumers were stopped. */
class WatchedTransport extends InProcessTransport {
  databaseOpenAtStop?: boolean;
  readinessAtStop?: { status: number; body: unknown };
  app?: INestApplication;

  override async stopConsuming(): Promise<void> {
    this.databaseOpenAtStop = this.app?.get(DataSource).isInitialized;
    const res = await request(this.app!.getHttpServer()).get('/health/ready');
    this.readinessAtStop = { status: res.status, body: res.body };
    await super.stopConsuming();
  }
}

function appConfig() {
  return loadConfig({
    DATABASE_URL: process.env.FG_MEDIUM_DATABASE_URL,
    PUBLIC_BASE_URL: 'https://surveys.example.test',
    LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
    REFERENCE_CACHE: 'off',
    OUTBOX_POLL_MS: '60000',
    LOG_LEVEL: 'error',
  });
}

/**
 * A graceful stop (SIGTERM on a deploy) runs in this order: consumers stop, the outbox relay publishes and deletes
 * what it holds and gives up its lease, and only then the database pool closes. Closing the pool first (Nest
 * destroys modules before it calls shutdown hooks) left published rows in the outbox, to be published again by the
 * next start, and the relay's lease held, so the next instance published nothing for up to 15 s.
 */
describe('app lifecycle', () => {
  let ds: DataSource;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
  });
  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
  });

  it('stops consuming, flushes the outbox and releases the relay lease before the database closes', async () => {
    const name = `shutdown-${randomUUID()}`;
    const transport = new WatchedTransport();
    app = await initApp(
      await createApp({
        app: name,
        config: appConfig(),
        features: [],
        transport,
        logger: false,
      }),
    );
    transport.app = app;
    const published: string[] = [];
    await transport.subscribe({
      groupId: 'watcher',
      topic: app.get(TopicNames).of('caseFieldUpdates'),
      onBatch: async (records) => {
        published.push(...records.map((r) => r.key ?? ''));
      },
    });

    // A transaction commits an event and hands it to the relay; the stop comes right after.
    const caseId = randomUUID();
    await app.get(UnitOfWork).run(async (em) => {
      app!.get(OutboxService).add(em, {
        topic: 'caseFieldUpdates',
        key: caseId,
        data: { caseId, field: 'survey_link', value: 'fg-link:1', reason: 'rule_action' },
      });
    });
    await app.close();
    app = undefined;

    expect(transport.databaseOpenAtStop).toBe(true);
    // From the first step of the stop the app is unready, so a load balancer stops sending it requests.
    expect(transport.readinessAtStop).toMatchObject({
      status: 503,
      body: { status: 'shutting_down', error: { lifecycle: { status: 'down', message: 'shutting down' } } },
    });
    expect(published).toEqual([caseId]);
    // Nothing left to publish again at the next start…
    expect(await new OutboxRepository().pending(ds.manager, name, 10, [])).toEqual([]);
    // …and the next instance takes the lease at once.
    expect(await new OutboxRepository().holdLease(ds.manager, name, randomUUID(), 15)).toBe(true);
  });
});

describe('health', () => {
  let app: INestApplication;
  let ds: DataSource;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    app = await initApp(
      await createApp({
        app: `health-${randomUUID()}`,
        config: appConfig(),
        features: [],
        transport: new InProcessTransport(),
        logger: false,
      }),
    );
  });
  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
  });

  it('answers liveness, and readiness with the database, the transport and the outbox', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: {
        lifecycle: { status: 'up' },
        database: { status: 'up' },
        messaging: { status: 'up', transport: 'in-process' },
        outbox: { status: 'up', oldestSeconds: 0 },
      },
    });
    // `/health` is readiness, as before.
    expect((await request(app.getHttpServer()).get('/health').expect(200)).body).toEqual(ready.body);
  });

  it('is unready while the database does not answer, naming it', async () => {
    const pool = app.get(DataSource);
    const query = jest
      .spyOn(pool, 'query')
      .mockRejectedValueOnce(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    query.mockRestore();
    expect(res.body).toMatchObject({
      status: 'error',
      error: { database: { status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' } },
    });
  });
});
