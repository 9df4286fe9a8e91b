import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SandboxMessageEntity, SandboxReceiptPlan } from '../entities/sandbox-message.entity';

/** A kept message as the ops API lists it. */
export type SandboxMessage = Omit<
  SandboxMessageEntity,
  'toAddress' | 'fromAddress' | 'receipts' | 'receiptsDueAt'
> & {
  to: string;
  from: string | null;
};

/** The only SQL for `sandbox_messages`. */
@Injectable()
export class SandboxMessageRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(m: QueryDeepPartialEntity<SandboxMessageEntity> & Pick<SandboxMessageEntity, 'id'>) {
    await this.ds.getRepository(SandboxMessageEntity).insert(m);
  }

  /** The newest message kept for an invite, if any. */
  async idForInvite(inviteId: string): Promise<string | null> {
    const row = await this.ds
      .getRepository(SandboxMessageEntity)
      .findOne({ select: { id: true }, where: { inviteId }, order: { createdAt: 'DESC' } });
    return row?.id ?? null;
  }

  async latest(limit: number): Promise<SandboxMessage[]> {
    const rows = await this.ds
      .getRepository(SandboxMessageEntity)
      .find({ order: { createdAt: 'DESC' }, take: limit });
    return rows.map(({ toAddress, fromAddress, receipts: _r, receiptsDueAt: _d, ...m }) => ({
      ...m,
      to: toAddress,
      from: fromAddress,
    }));
  }

  /** Kept messages of a channel with receipts due by `now`, locked for reporting them (others skip them). */
  dueReceipts(
    em: EntityManager,
    channel: string,
    now: Date,
    limit: number,
  ): Promise<{ id: string; invite_id: string | null; receipts: SandboxReceiptPlan[] }[]> {
    return em.query(
      `SELECT id, invite_id, receipts FROM sandbox_messages
       WHERE channel = $1 AND receipts_due_at <= $2
       ORDER BY receipts_due_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [channel, now, limit],
    );
  }

  /** What is left to report of a message, and when the next one is due (null: nothing left). */
  async keepReceipts(em: EntityManager, id: string, left: SandboxReceiptPlan[]): Promise<void> {
    const next = left.length ? left.map((r) => r.at).sort()[0] : null;
    await em.query(`UPDATE sandbox_messages SET receipts = $2::jsonb, receipts_due_at = $3 WHERE id = $1`, [
      id,
      JSON.stringify(left),
      next,
    ]);
  }
}
