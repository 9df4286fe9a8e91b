import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics, newId } from '@fg/common';
import { MESSAGING_OPTIONS, MessagingOptions } from './options';
import { MessageTransport, TransportRecord } from './transport';
import { OUTBOX_VALUE_ENCODING } from './outbox.service';
import { OutboxRepository, PendingOutboxRow } from './outbox.repository';

const BATCH = 1000;
const LEASE_SECONDS = 15;
/** Published rows are deleted together, at most this long after the first of them went out. */
const DELETE_AFTER_MS = 200;
/** How long an id a poll published is remembered, so a hand-off of the same row that comes later is skipped. */
const RECENT_MS = 60_000;

/**
 * Publishes this app's outbox rows, then deletes them. One instance per app holds a lease row, so when an app is
 * scaled out only one relay publishes its rows and per-key order is kept. Rows are deleted only after the
 * transport accepted them: a crash means a re-publish, which consumers' inboxes absorb.
 *
 * The rows a transaction of this process wrote are handed over once it commits (`handOff`) and published from
 * memory: no query to find them, and their deletes are batched (one `DELETE` per ~200 ms instead of one per
 * transaction). A poll every `OUTBOX_POLL_MS` finds the rest: rows left by a crash, or written by instances that
 * do not hold the lease.
 */
@Injectable()
export class OutboxRelay {
  private readonly log = new Logger('OutboxRelay');
  private readonly holder = newId();
  private readonly rows = new OutboxRepository();
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private running = false;
  private again = false;
  private stopped = true;
  private leaseValidUntil = 0;
  private idle?: Promise<void>;
  /** Committed rows handed over by this process, not yet published. */
  private queue: PendingOutboxRow[] = [];
  /** Published, not yet deleted: a poll skips them. */
  private unDeleted: string[] = [];
  private deleteDue = 0;
  private nextPoll = 0;
  /** Ids a poll published, with when: a hand-off of one of them (its commit raced the poll) is not sent again. */
  private readonly polled = new Map<string, number>();

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly opts: MessagingOptions,
    private readonly ds: DataSource,
    private readonly transport: MessageTransport,
    private readonly metrics: Metrics,
  ) {}

  start() {
    this.stopped = false;
    this.nextPoll = 0;
    this.schedule(0);
  }

  /** Publish soon: rows a transaction of this process wrote, handed over once it has committed. */
  handOff(rows: PendingOutboxRow[]) {
    if (this.stopped || !rows.length) return;
    this.queue.push(...rows);
    this.wake();
  }

  /** Run now: publishes what was handed over (and polls, when a poll is due). */
  private wake() {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops after the current round; what was handed over is published and what was published is deleted. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    await this.idle;
    if (!this.ds.isInitialized) return;
    try {
      while (this.queue.length && (await this.publishBatch(false)) > 0);
      await this.deletePublished();
    } catch (e) {
      this.log.warn(`outbox relay stopped with rows left for the next start: ${(e as Error).message}`);
    }
    await this.rows.releaseLease(this.ds.manager, this.opts.app, this.holder).catch(() => undefined);
  }

  /** Publishes and deletes everything pending now; for shutdown paths and tests of the relay itself. */
  async drain(): Promise<void> {
    while ((await this.publishBatch(true)) === BATCH);
    while (this.queue.length && (await this.publishBatch(false)) > 0);
    await this.deletePublished();
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
    const go = () => {
      this.timer = this.immediate = undefined;
      this.idle = this.run();
    };
    // Now means now: a timer of 0 waits at least a millisecond, on every hop of every event.
    if (ms <= 0) this.immediate = setImmediate(go);
    else this.timer = setTimeout(go, ms);
  }

  private async run() {
    if (this.running || this.stopped) return;
    this.running = true;
    let retryIn: number | undefined;
    try {
      do {
        this.again = false;
        const poll = Date.now() >= this.nextPoll;
        if (poll) this.nextPoll = Date.now() + this.opts.outboxPollMs;
        while (!this.stopped && (await this.publishBatch(poll)) === BATCH);
        while (!this.stopped && this.queue.length && (await this.publishBatch(false)) > 0);
        if (this.unDeleted.length >= BATCH || (this.unDeleted.length && Date.now() >= this.deleteDue))
          await this.deletePublished();
      } while (this.again && !this.stopped);
    } catch (e) {
      this.log.warn(`outbox relay failed, will retry: ${(e as Error).message}`);
      // What was handed over is still in the table: the next poll finds it.
      this.queue = [];
      this.nextPoll = 0;
      retryIn = Math.min(5000, this.opts.outboxPollMs * 4);
    } finally {
      this.running = false;
      const next = Math.min(this.nextPoll, this.unDeleted.length ? this.deleteDue : Infinity);
      this.schedule(retryIn ?? next - Date.now());
    }
  }

  private async holdLease(): Promise<boolean> {
    if (Date.now() < this.leaseValidUntil) return true;
    const held = await this.rows.holdLease(this.ds.manager, this.opts.app, this.holder, LEASE_SECONDS);
    // Renew well before expiry: trust the lease locally for a third of its length.
    this.leaseValidUntil = held ? Date.now() + (LEASE_SECONDS * 1000) / 3 : 0;
    return held;
  }

  /** Publishes one batch, from a poll of the table or from what was handed over; returns how many rows it took. */
  private async publishBatch(poll: boolean): Promise<number> {
    if (!(await this.holdLease())) {
      // Another instance publishes this app's rows; it finds these by polling.
      this.queue = [];
      return 0;
    }
    let rows: PendingOutboxRow[];
    let taken: number;
    if (poll) {
      rows = await this.rows.pending(this.ds.manager, this.opts.app, BATCH, this.unDeleted);
      taken = rows.length;
      const now = Date.now();
      // Oldest first (insertion order): stop at the first one still recent, so a long backlog costs no full sweep.
      for (const [id, at] of this.polled) {
        if (now - at <= RECENT_MS) break;
        this.polled.delete(id);
      }
      for (const r of rows) this.polled.set(r.id, now);
      if (this.queue.length) this.queue = this.queue.filter((r) => !this.polled.has(r.id));
    } else {
      const batch = this.queue.splice(0, BATCH);
      taken = batch.length;
      rows = batch.filter((r) => !this.polled.has(r.id));
      // Transactions commit in any order: publish what they handed over in the order the rows were written.
      rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    }
    if (!rows.length) return taken;
    await this.transport.publish(rows.map(recordOf));
    if (!this.unDeleted.length) this.deleteDue = Date.now() + DELETE_AFTER_MS;
    for (const r of rows) {
      this.unDeleted.push(r.id);
      this.metrics.published.inc({ topic: r.topic });
    }
    return taken;
  }

  private async deletePublished(): Promise<void> {
    if (!this.unDeleted.length) return;
    const ids = this.unDeleted;
    this.unDeleted = [];
    try {
      await this.rows.delete(this.ds.manager, ids);
    } catch (e) {
      this.unDeleted = ids.concat(this.unDeleted);
      throw e;
    }
  }
}

/** The record an outbox row stands for (values kept as base64 or absent are restored; our marker header dropped). */
function recordOf(r: PendingOutboxRow): TransportRecord {
  const { [OUTBOX_VALUE_ENCODING]: encoding, ...headers } = r.headers;
  return {
    topic: r.topic,
    key: r.key,
    value: encoding === 'null' ? null : Buffer.from(r.value, encoding === 'base64' ? 'base64' : 'utf8'),
    headers,
  };
}
