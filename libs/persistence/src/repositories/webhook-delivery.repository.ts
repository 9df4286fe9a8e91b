import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { WebhookDeliveryEntity, WebhookDeliveryStatus } from '../entities/webhook-delivery.entity';
import type { RowOf } from '../row';
import { returnedRows } from '../transaction';

type Row = RowOf<WebhookDeliveryEntity>;
export type NewWebhookDeliveryRow = Pick<
  Row,
  'id' | 'subscription_id' | 'event_type' | 'event_id' | 'payload' | 'created_at' | 'next_attempt_at'
>;

/** The only SQL for `webhook_deliveries`. */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(private readonly ds: DataSource) {}

  /** Enqueues deliveries; one per (subscription, event), so a redelivered event adds nothing. */
  async enqueue(em: EntityManager, rows: NewWebhookDeliveryRow[]): Promise<number> {
    if (!rows.length) return 0;
    const r: { id: string }[] = await em.query(
      `INSERT INTO webhook_deliveries (id, subscription_id, event_type, event_id, payload, created_at, next_attempt_at)
       SELECT x.id, x.subscription_id, x.event_type, x.event_id, x.payload, x.created_at, x.next_attempt_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, subscription_id uuid, event_type text, event_id text,
            payload jsonb, created_at timestamptz, next_attempt_at timestamptz)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(rows)],
    );
    return r.length;
  }

  /**
   * Takes due deliveries for an attempt: their next attempt moves to `leaseUntil`, so another instance (or this one
   * after a crash) takes them again only if this attempt's outcome is never recorded.
   */
  claimDue(em: EntityManager, now: Date, leaseUntil: Date, limit: number): Promise<Row[]> {
    return em
      .query(
        `UPDATE webhook_deliveries SET next_attempt_at = $2
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now, leaseUntil, limit],
      )
      .then((r) => returnedRows<Row>(r));
  }

  /** Records an attempt's outcome: delivered, to be tried again at `nextAttemptAt`, or failed for good. */
  async recordAttempt(
    em: EntityManager,
    a: {
      id: string;
      at: Date;
      status: WebhookDeliveryStatus;
      statusCode: number | null;
      error: string | null;
      nextAttemptAt: Date | null;
    },
  ): Promise<void> {
    await em.query(
      `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_attempt_at = $3,
              last_status_code = $4, last_error = $5, next_attempt_at = $6,
              delivered_at = CASE WHEN $2 = 'succeeded' THEN $3 ELSE delivered_at END
       WHERE id = $1 AND status = 'pending'`,
      [a.id, a.status, a.at, a.statusCode, a.error, a.nextAttemptAt],
    );
  }

  /** Deliveries that failed for good, pending again now with a fresh schedule (an operator's redrive). */
  reopen(em: EntityManager, ids: string[], now: Date): Promise<Row[]> {
    if (!ids.length) return Promise.resolve([]);
    return em
      .query(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2
         WHERE id = ANY($1::uuid[]) AND status = 'failed' RETURNING *`,
        [ids, now],
      )
      .then((r) => returnedRows<Row>(r));
  }

  /** A subscription's delivery log, newest first. */
  list(
    q: { subscriptionId: string; status?: WebhookDeliveryStatus; limit: number },
    em: EntityManager = this.ds.manager,
  ): Promise<Row[]> {
    return em.query(
      `SELECT * FROM webhook_deliveries WHERE subscription_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at DESC, id LIMIT $3`,
      [q.subscriptionId, q.status ?? null, q.limit],
    );
  }
}
