import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { DeliveryReceipt, InviteStatus } from '@fg/contracts';
import { Clock, newId } from '@fg/common';
import { InviteEntity } from '@fg/persistence';
import { OutboxService } from '@fg/messaging';
import { InviteState, nextInviteState } from './invite-status-machine';

/** Applies receipts and send outcomes to invites, and publishes each change for the rules. */
@Injectable()
export class InviteStatusService {
  private readonly log = new Logger('InviteStatus');

  constructor(
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  async applyReceipt(em: EntityManager, r: DeliveryReceipt): Promise<InviteStatus | null> {
    if (r.providerEventId) {
      const inserted: unknown[] = await em.query(
        `INSERT INTO delivery_receipts (id, invite_id, provider, event, provider_event_id, reason, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
        [newId(), r.inviteId, r.provider, r.event, r.providerEventId, r.reason, r.occurredAt],
      );
      if (!inserted.length) return null;
    } else {
      await em.query(
        `INSERT INTO delivery_receipts (id, invite_id, provider, event, reason, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [newId(), r.inviteId, r.provider, r.event, r.reason, r.occurredAt],
      );
    }
    const invite = await em
      .getRepository(InviteEntity)
      .findOne({ where: { id: r.inviteId }, lock: { mode: 'pessimistic_write' } });
    if (!invite) {
      this.log.warn(`receipt for unknown invite ${r.inviteId} ignored`);
      return null;
    }
    if (r.providerMessageId && !invite.providerMessageId) {
      invite.providerMessageId = r.providerMessageId;
      await em.update(InviteEntity, invite.id, { providerMessageId: r.providerMessageId });
    }
    const next = nextInviteState(invite, r.event, r.reason);
    if (!next) return null;
    await this.transition(em, invite, next);
    return next.status;
  }

  /** Moves an invite to a state decided by our own code (Failed before sending, Suppressed, …). */
  async transition(em: EntityManager, invite: InviteEntity, next: InviteState): Promise<void> {
    const now = this.clock.now();
    const previousStatus = invite.status;
    await em.update(InviteEntity, invite.id, {
      status: next.status,
      deliveryStatus: next.deliveryStatus,
      reason: next.reason,
      statusChangedAt: now,
      ...(next.status === 'Invite Sent' && !invite.sentAt ? { sentAt: now } : {}),
    });
    this.outbox.add(em, {
      topic: 'inviteStatus',
      key: invite.caseId,
      data: {
        inviteId: invite.id,
        caseId: invite.caseId,
        distributionId: invite.distributionId,
        channel: invite.channel,
        kind: invite.kind,
        status: next.status,
        previousStatus,
        deliveryStatus: next.deliveryStatus,
        reason: next.reason,
        occurredAt: now.toISOString(),
      },
    });
    Object.assign(invite, next);
  }
}
