import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InboxRepository } from './inbox.repository';

const CHUNK = 5000;

/**
 * The inbox is the dedupe window, not an archive: rows older than the retention are deleted, in small chunks
 * so no long lock is taken. A message replayed after the window would be handled again, so keep the retention
 * longer than any replay you might do (Kafka topic retention is a good guide).
 */
@Injectable()
export class InboxPruner {
  private readonly log = new Logger('InboxPruner');
  private readonly inbox = new InboxRepository();
  private timer?: NodeJS.Timeout;

  constructor(private readonly ds: DataSource) {}

  start(consumers: string[], retentionHours: number, everyMs = 3_600_000) {
    if (!consumers.length) return;
    this.timer = setInterval(() => {
      this.prune(consumers, retentionHours).catch((e: unknown) =>
        this.log.warn(`inbox pruning failed: ${(e as Error).message}`),
      );
    }, everyMs);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
  }

  async prune(consumers: string[], retentionHours: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.inbox.prune(this.ds.manager, consumers, retentionHours, CHUNK);
      total += n;
      if (n < CHUNK) return total;
    }
  }
}
