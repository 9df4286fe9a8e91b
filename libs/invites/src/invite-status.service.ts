import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DeliveryReceipt, reasonOf } from '@fg/contracts';
import { Clock, newId } from '@fg/common';
import {
  DeliveryReceiptRepository,
  InviteEntity,
  InviteRepository,
  NewReceiptRow,
  inviteFromRow,
} from '@fg/persistence';
import { OutboxService } from '@fg/messaging';
import { InviteState, nextInviteState } from './invite-status-machine';
import { Suppression, SuppressionService } from './suppression.service';

/** Applies receipts and send outcomes to invites, and publishes each change for the rules. */
@Injectable()
export class InviteStatusService {
  private readonly log = new Logger('InviteStatus');

  constructor(
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly suppressions: SuppressionService,
    private readonly invites: InviteRepository,
    private readonly receipts: DeliveryReceiptRepository,
  ) {}

  applyReceipt(em: EntityManager, r: DeliveryReceipt, correlationId?: string): Promise<void> {
    return this.applyReceipts(em, [{ receipt: r, correlationId }]);
  }

  /**
   * Applies receipts in order: duplicates (same provider event id) are dropped, each invite moves by the
   * monotonic state machine, and every change is published. One insert, one locking read and one update
   * for the whole batch.
   */
  async applyReceipts(
    em: EntityManager,
    items: { receipt: DeliveryReceipt; correlationId?: string }[],
  ): Promise<void> {
    if (!items.length) return;
    const rows = items.map(({ receipt: r }): NewReceiptRow => ({
      id: newId(),
      invite_id: r.inviteId,
      provider: r.provider,
      event: r.event,
      provider_event_id: r.providerEventId,
      reason: r.reason,
      occurred_at: r.occurredAt,
    }));
    const fresh = await this.receipts.insertNew(em, rows);
    const locked = await this.invites.lockMany(em, [...new Set(items.map((i) => i.receipt.inviteId))]);
    const now = this.clock.now();
    const touched = new Set<InviteEntity>();
    const suppress: Suppression[] = [];
    const lift: InviteEntity[] = [];
    items.forEach(({ receipt: r, correlationId }, i) => {
      if (!fresh.has(rows[i].id)) return;
      const invite = locked.get(r.inviteId);
      if (!invite) {
        this.log.warn(`receipt for unknown invite ${r.inviteId} ignored`);
        return;
      }
      // The provider adapter decided what the receipt means for the address (bounce, spam report, 21610, …).
      const why = r.suppress;
      if (why && invite.recipient)
        suppress.push({
          channel: invite.channel,
          address: invite.recipient,
          reason: why,
          source: `${r.provider} ${r.event}`,
        });
      if (r.event === 'group_resubscribe' && invite.recipient) lift.push(invite);
      if (r.providerMessageId && !invite.providerMessageId) {
        invite.providerMessageId = r.providerMessageId;
        touched.add(invite);
      }
      const next = nextInviteState(invite, r.event, r.reason);
      if (!next) return;
      this.announce(em, invite, next, now, correlationId);
      touched.add(invite);
    });
    await this.invites.saveStatuses(em, [...touched], now);
    await this.suppressions.suppress(em, suppress, now);
    for (const invite of lift)
      await this.suppressions.lift(
        em,
        invite.channel,
        invite.recipient,
        `${invite.channel} resubscribe`,
        now,
      );
  }

  /**
   * Defers claimed sends to their next attempt (recorded only for the attempt that was claimed). The first
   * deferral of a send is published (Pending / deferred, with why), so rules and the activity view see a send
   * that waits, not a failure; later ones only move the next attempt.
   */
  async defer(
    em: EntityManager,
    items: {
      inviteId: string;
      attempt: number;
      nextAttemptAt: Date;
      reason: string;
      correlationId?: string;
    }[],
  ): Promise<void> {
    if (!items.length) return;
    const now = this.clock.now();
    const rows = await this.invites.defer(
      em,
      items.map((i) => ({
        id: i.inviteId,
        attempt: i.attempt,
        next_attempt_at: i.nextAttemptAt,
        reason: i.reason,
      })),
      now,
    );
    const correlation = new Map(items.map((i) => [i.inviteId, i.correlationId]));
    for (const r of rows.filter((x) => x.first)) {
      const invite = inviteFromRow({ ...r, status: 'Pending', delivery_status: 'sending' });
      this.announce(
        em,
        invite,
        { status: 'Pending', deliveryStatus: 'deferred', reason: r.reason },
        now,
        correlation.get(r.id),
      );
    }
  }

  /** Sends opened again by an operator (their dead letters redriven): published as Pending / deferred. */
  async reopen(em: EntityManager, inviteIds: string[]): Promise<string[]> {
    const now = this.clock.now();
    const rows = await this.invites.reopen(em, inviteIds, now);
    for (const r of rows)
      this.announce(
        em,
        inviteFromRow({ ...r, status: 'Failed', delivery_status: 'failed' }),
        { status: 'Pending', deliveryStatus: 'deferred', reason: null },
        now,
      );
    return rows.map((r) => r.id);
  }

  /** Moves an invite to a state decided by our own code (Failed before sending, Suppressed, …). */
  async transition(
    em: EntityManager,
    invite: InviteEntity,
    next: InviteState,
    correlationId?: string,
  ): Promise<void> {
    const now = this.clock.now();
    this.announce(em, invite, next, now, correlationId);
    await this.invites.saveStatuses(em, [invite], now);
  }

  private announce(
    em: EntityManager,
    invite: InviteEntity,
    next: InviteState,
    now: Date,
    correlationId?: string,
  ) {
    const previousStatus = invite.status;
    if (next.status === 'Invite Sent' && !invite.sentAt) invite.sentAt = now;
    Object.assign(invite, next, { statusChangedAt: now });
    this.outbox.add(em, {
      topic: 'inviteStatus',
      key: invite.caseId,
      correlationId,
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
        reasonCode: reasonOf(next.reason)?.code ?? null,
        occurredAt: now.toISOString(),
        ...(invite.actionId ? { actionId: invite.actionId } : {}),
      },
    });
  }
}
