import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { Clock } from '@fg/common';
import { InviteStatusService } from '@fg/invites';
import { OutboxService, UnitOfWork } from '@fg/messaging';
import { DeadLetterFilter, DeadLetterRepository, WebhookDeliveryRepository } from '@fg/persistence';

/** A dead letter as the ops API shows it (documented as `DeadLetter` in the OpenAPI document). */
export const deadLetterView = z
  .object({
    id: z.string().uuid(),
    consumer: z.string(),
    topic: z.string(),
    partition: z.number().int().nullable(),
    offset: z.string().nullable(),
    key: z.string().nullable(),
    code: z.string().describe('the reason code, e.g. PROVIDER_UNAVAILABLE, INVALID_MESSAGE'),
    reason: z.string(),
    eventId: z.string().nullable(),
    inviteId: z.string().uuid().nullable(),
    headers: z.record(z.string()),
    value: z.string().nullable().describe("the record's value: UTF-8 text when it is text, else base64"),
    valueEncoding: z.enum(['utf8', 'base64']),
    failedAt: z.string().datetime({ offset: true }),
    redrivenAt: z.string().datetime({ offset: true }).nullable(),
    redriveCount: z.number().int(),
  })
  .strict();
export type DeadLetterView = z.infer<typeof deadLetterView>;

export interface RedriveResult {
  /** Dead letters taken (each once, however often or concurrently the redrive is asked for). */
  redriven: number;
  /** Records published again to their source topic (the failing consumer handles them again; others skip them). */
  republished: number;
  /** Sends that had failed for good, open for another attempt now. */
  invitesReopened: number;
  /** Outbound webhook deliveries that had failed for good, tried again now (with a fresh retry schedule). */
  webhooksReopened: number;
}

const REDRIVE_CHUNK = 500;

/**
 * Dead letters over ops REST: list them with reason and original headers, redrive one, a filter or all.
 * Redriving is idempotent: a letter is marked redriven in the same transaction that republishes it, so it is
 * redriven once; republished records keep their CloudEvent id, so consumers that had handled them skip them
 * (inbox). A send that failed for good (PROVIDER_UNAVAILABLE after the retry horizon) is not republished but
 * opened again: its invite becomes Pending / deferred and the sender tries it now, once.
 */
@Injectable()
export class DeadLettersService {
  private readonly log = new Logger('DeadLetters');

  constructor(
    private readonly repo: DeadLetterRepository,
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxService,
    private readonly statuses: InviteStatusService,
    private readonly webhookDeliveries: WebhookDeliveryRepository,
    private readonly clock: Clock,
  ) {}

  async list(
    f: DeadLetterFilter & { limit: number; cursor?: string },
  ): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
    const before = f.cursor ? decodeCursor(f.cursor) : undefined;
    const rows = await this.repo.list({ ...f, before });
    const last = rows[rows.length - 1];
    return {
      items: rows.map(view),
      nextCursor:
        rows.length === f.limit && last
          ? Buffer.from(`${new Date(last.failed_at).toISOString()}|${last.id}`).toString('base64url')
          : null,
    };
  }

  summary() {
    return this.repo.summary();
  }

  async redrive(f: DeadLetterFilter): Promise<RedriveResult> {
    const total: RedriveResult = { redriven: 0, republished: 0, invitesReopened: 0, webhooksReopened: 0 };
    for (;;) {
      const r = await this.uow.run(async (em) => {
        const rows = await this.repo.markRedriven(em, f, this.clock.now(), REDRIVE_CHUNK);
        const sends = rows.filter((x) => x.invite_id);
        const reopened = await this.statuses.reopen(
          em,
          sends.map((x) => x.invite_id!),
        );
        const hooks = await this.webhookDeliveries.reopen(
          em,
          rows.filter((x) => x.webhook_delivery_id).map((x) => x.webhook_delivery_id!),
          this.clock.now(),
        );
        const records = rows.filter((x) => !x.invite_id && !x.webhook_delivery_id);
        // Through the outbox, in this transaction: marked redriven and queued for publishing together, published
        // after the commit (in-process consumers run inside publish and need the database themselves).
        for (const x of records)
          this.outbox.addRecord(em, {
            topic: x.source_topic,
            key: x.record_key,
            value: x.value,
            headers: x.headers,
          });
        return {
          redriven: rows.length,
          republished: records.length,
          invitesReopened: reopened.length,
          webhooksReopened: hooks.length,
        };
      });
      total.redriven += r.redriven;
      total.republished += r.republished;
      total.invitesReopened += r.invitesReopened;
      total.webhooksReopened += r.webhooksReopened;
      if (r.redriven < REDRIVE_CHUNK || f.ids) break;
    }
    if (total.redriven) this.log.log(`redrove ${JSON.stringify(total)}`);
    return total;
  }
}

function decodeCursor(c: string): { failedAt: Date; id: string } | undefined {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const failedAt = new Date(at);
  return id && !Number.isNaN(failedAt.getTime()) ? { failedAt, id } : undefined;
}

function view(r: Awaited<ReturnType<DeadLetterRepository['list']>>[number]): DeadLetterView {
  const text = r.value ? r.value.toString('utf8') : null;
  const isText = text === null || Buffer.from(text, 'utf8').equals(r.value!);
  return {
    id: r.id,
    consumer: r.consumer,
    topic: r.source_topic,
    partition: r.source_partition,
    offset: r.source_offset,
    key: r.record_key,
    code: r.code,
    reason: r.reason,
    eventId: r.event_id,
    inviteId: r.invite_id,
    headers: r.headers,
    value: isText ? text : r.value!.toString('base64'),
    valueEncoding: isText ? 'utf8' : 'base64',
    failedAt: new Date(r.failed_at).toISOString(),
    redrivenAt: r.redriven_at ? new Date(r.redriven_at).toISOString() : null,
    redriveCount: r.redrive_count,
  };
}
