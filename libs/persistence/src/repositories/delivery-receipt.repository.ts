import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { DeliveryReceiptEntity } from '../entities/delivery-receipt.entity';
import type { RowOf } from '../row';

export type NewReceiptRow = Omit<RowOf<DeliveryReceiptEntity>, 'created_at' | 'occurred_at'> & {
  /** ISO time */
  occurred_at: string;
};

/** The only SQL for `delivery_receipts`. */
@Injectable()
export class DeliveryReceiptRepository {
  constructor(private readonly ds: DataSource) {}

  /** Every receipt of these invites, oldest first. */
  forInvites(inviteIds: string[]): Promise<DeliveryReceiptEntity[]> {
    if (!inviteIds.length) return Promise.resolve([]);
    return this.ds.getRepository(DeliveryReceiptEntity).find({
      where: { inviteId: In(inviteIds) },
      order: { occurredAt: 'ASC', createdAt: 'ASC' },
    });
  }

  /** Keeps each provider event once; returns the ids of the rows that were new (the rest are duplicates). */
  async insertNew(em: EntityManager, rows: NewReceiptRow[]): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const kept: { id: string }[] = await em.query(
      `INSERT INTO delivery_receipts (id, invite_id, provider, event, provider_event_id, reason, occurred_at)
       SELECT x.id, x.invite_id, x.provider, x.event, x.provider_event_id, x.reason, x.occurred_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, invite_id uuid, provider text, event text,
            provider_event_id text, reason text, occurred_at timestamptz)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(rows)],
    );
    return new Set(kept.map((k) => k.id));
  }
}
