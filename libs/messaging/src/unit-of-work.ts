import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { OutboxRelay } from './outbox-relay';
import { OutboxService } from './outbox.service';
import { PendingOutboxRow } from './outbox.repository';

/**
 * The one way to run a transaction outside a Kafka handler (handlers get theirs from the consumer runner): events
 * added to the outbox inside it are written before it commits, and handed to the relay once it has, so they go
 * out at once instead of at the next poll. An outbox add outside a unit of work throws instead of losing the
 * event; a lint rule keeps other code from opening transactions on its own.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelay,
  ) {}

  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    let written: PendingOutboxRow[] = [];
    const result = await this.ds.transaction(async (em) => {
      this.outbox.begin(em);
      const r = await work(em);
      written = await this.outbox.flush(em);
      return r;
    });
    this.relay.handOff(written);
    return result;
  }
}
