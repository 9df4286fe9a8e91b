import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics, newId } from '@fg/common';
import { MESSAGING_OPTIONS, MessagingOptions } from './options';
import { MessageTransport } from './transport';
import { OutboxRepository } from './outbox.repository';

const BATCH = 1000;
const LEASE_SECONDS = 15;

/**
 * Publishes this app's outbox rows in id order, then deletes them. One instance per app holds a lease row,
 * so when an app is scaled out only one relay publishes its rows and per-key order is kept. Rows are deleted
 * only after the transport accepted them: a crash means a re-publish, which consumers' inboxes absorb.
 */
@Injectable()
export class OutboxRelay {
  private readonly log = new Logger('OutboxRelay');
  private readonly holder = newId();
  private readonly rows = new OutboxRepository();
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = true;
  private leaseValidUntil = 0;
  private idle?: Promise<void>;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly opts: MessagingOptions,
    private readonly ds: DataSource,
    private readonly transport: MessageTransport,
    private readonly metrics: Metrics,
  ) {}

  start() {
    this.stopped = false;
    this.schedule(0);
  }

  /** Publish soon: called after a transaction that wrote outbox rows commits. */
  wake() {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle;
    if (this.ds.isInitialized)
      await this.rows.releaseLease(this.ds.manager, this.opts.app, this.holder).catch(() => undefined);
  }

  /** Publishes everything pending now; for shutdown paths and tests of the relay itself. */
  async drain(): Promise<void> {
    while ((await this.publishBatch()) === BATCH);
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.idle = this.run();
    }, ms);
  }

  private async run() {
    if (this.running || this.stopped) return;
    this.running = true;
    let delay = this.opts.outboxPollMs;
    try {
      do {
        this.again = false;
        while (!this.stopped && (await this.publishBatch()) === BATCH);
      } while (this.again && !this.stopped);
    } catch (e) {
      this.log.warn(`outbox relay failed, will retry: ${(e as Error).message}`);
      delay = Math.min(5000, this.opts.outboxPollMs * 4);
    } finally {
      this.running = false;
      this.schedule(delay);
    }
  }

  private async holdLease(): Promise<boolean> {
    if (Date.now() < this.leaseValidUntil) return true;
    const held = await this.rows.holdLease(this.ds.manager, this.opts.app, this.holder, LEASE_SECONDS);
    // Renew well before expiry: trust the lease locally for a third of its length.
    this.leaseValidUntil = held ? Date.now() + (LEASE_SECONDS * 1000) / 3 : 0;
    return held;
  }

  private async publishBatch(): Promise<number> {
    if (!(await this.holdLease())) return 0;
    const rows = await this.rows.pending(this.ds.manager, this.opts.app, BATCH);
    if (!rows.length) return 0;
    await this.transport.publish(
      rows.map((r) => ({
        topic: r.topic,
        key: r.key,
        value: Buffer.from(r.value, 'utf8'),
        headers: r.headers,
      })),
    );
    await this.rows.delete(
      this.ds.manager,
      rows.map((r) => r.id),
    );
    for (const r of rows) this.metrics.published.inc({ topic: r.topic });
    return rows.length;
  }
}
