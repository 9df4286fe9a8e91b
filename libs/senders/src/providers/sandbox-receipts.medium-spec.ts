import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '@fg/common';
import { OutboxService, UnitOfWork } from '@fg/messaging';
import { SandboxMessageRepository } from '@fg/persistence';
import { mediumDataSource, outboxFor, unitOfWorkFor } from '../../../../test/support/medium';
import { SandboxProvider } from './sandbox.provider';
import { SandboxReceiptSimulator } from './sandbox-receipts';

describe('sandbox receipts on Postgres', () => {
  let ds: DataSource;
  let outbox: OutboxService;
  let uow: UnitOfWork;
  let now = new Date('2026-12-07T10:00:00Z');
  const clock = { now: () => now };
  const cfg = { CHANNEL_PROVIDERS: 'sandbox', SANDBOX_RECEIPTS: 'simulate' } as AppConfig;

  beforeAll(async () => {
    ds = await mediumDataSource(4);
    outbox = outboxFor(ds);
    uow = unitOfWorkFor(ds, outbox);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const receiptsOf = async (inviteId: string) =>
    (await ds.query(`SELECT value FROM outbox WHERE key = $1 ORDER BY id`, [inviteId])).map(
      (r: { value: string }) => JSON.parse(r.value),
    );

  it('reports delivered a moment after the send, then the open, each once, through the outbox', async () => {
    const messages = new SandboxMessageRepository(ds);
    const provider = new SandboxProvider('email', messages, undefined, { receipts: true, now: () => now });
    const sim = new SandboxReceiptSimulator(messages, uow, outbox, 'email', cfg, clock);
    const inviteId = randomUUID();
    const sent = await provider.send({
      channel: 'email',
      inviteId,
      to: 'open@example.com',
      from: { email: 'surveys@acme.test' },
      subject: 'How did we do?',
      text: 'hi',
      html: '<p>hi</p>',
    });
    await sim.report();
    expect(await receiptsOf(inviteId)).toEqual([]); // not yet: a moment after the send
    now = new Date(now.getTime() + 2_000);
    await sim.report();
    now = new Date(now.getTime() + 10_000);
    await sim.report();
    await sim.report(); // nothing is reported twice
    const receipts = await receiptsOf(inviteId);
    expect(receipts.map((r: { event: string }) => r.event)).toEqual(['delivered', 'open']);
    expect(receipts[0]).toMatchObject({
      provider: 'sandbox',
      channel: 'email',
      inviteId,
      providerMessageId: sent.providerMessageId,
      reason: null,
    });
  });

  it('bounces bounce@ with the suppression a hard bounce carries; other channels report on their own', async () => {
    const messages = new SandboxMessageRepository(ds);
    const email = new SandboxProvider('email', messages, undefined, { receipts: true, now: () => now });
    const inviteId = randomUUID();
    await email.send({
      channel: 'email',
      inviteId,
      to: 'bounce@example.com',
      from: { email: 'surveys@acme.test' },
      subject: 's',
      text: 't',
      html: '<p>t</p>',
    });
    now = new Date(now.getTime() + 5_000);
    await new SandboxReceiptSimulator(messages, uow, outbox, 'sms', cfg, clock).report();
    expect(await receiptsOf(inviteId)).toEqual([]);
    await new SandboxReceiptSimulator(messages, uow, outbox, 'email', cfg, clock).report();
    expect(await receiptsOf(inviteId)).toEqual([
      expect.objectContaining({
        event: 'bounce',
        suppress: 'hard bounce',
        reason: expect.stringMatching(/^BOUNCED/),
      }),
    ]);
  });
});
