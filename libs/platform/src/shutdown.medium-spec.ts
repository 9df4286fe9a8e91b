import { INestApplication } from '@nestjs/common';
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
  ds?: DataSource;

  override async stopConsuming(): Promise<void> {
    this.databaseOpenAtStop = this.ds?.isInitialized;
    await super.stopConsuming();
  }
}

/**
 * A graceful stop (SIGTERM on a deploy) runs in this order: consumers stop, the outbox relay publishes and deletes
 * what it holds and gives up its lease, and only then the database pool closes. Closing the pool first (Nest
 * destroys modules before it calls shutdown hooks) left published rows in the outbox, to be published again by the
 * next start, and the relay's lease held, so the next instance published nothing for up to 15 s.
 */
describe('graceful stop', () => {
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
        config: loadConfig({
          DATABASE_URL: process.env.FG_MEDIUM_DATABASE_URL,
          PUBLIC_BASE_URL: 'https://surveys.example.test',
          LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
          REFERENCE_CACHE: 'off',
          OUTBOX_POLL_MS: '60000',
          LOG_LEVEL: 'error',
        }),
        features: [],
        transport,
        logger: false,
      }),
    );
    transport.ds = app.get(DataSource);
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
    expect(published).toEqual([caseId]);
    // Nothing left to publish again at the next start…
    expect(await new OutboxRepository().pending(ds.manager, name, 10, [])).toEqual([]);
    // …and the next instance takes the lease at once.
    expect(await new OutboxRepository().holdLease(ds.manager, name, randomUUID(), 15)).toBe(true);
  });
});
