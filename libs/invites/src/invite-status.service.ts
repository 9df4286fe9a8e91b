import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { DeliveryReceipt } from '@fg/contracts';
import { Clock, newId } from '@fg/common';
import { InviteEntity } from '@fg/persistence';
import { OutboxService } from '@fg/messaging';
import { InviteState, nextInviteState } from './invite-status-machine';
import { Suppression, SuppressionService } from './suppression.service';

export interface InviteRow {
  id: string;
  action_id: string;
  case_id: string;
  distribution_id: string;
  channel: InviteEntity['channel'];
  kind: InviteEntity['kind'];
  status: InviteEntity['status'];
  delivery_status: InviteEntity['deliveryStatus'];
  reason: string | null;
  provider_message_id: string | null;
  sent_at: Date | null;
  recipient?: string;
}

/** Receipts that put the address on the suppression list, and why. */
const SUPPRESSING: Partial<Record<DeliveryReceipt['event'], string>> = {
  bounce: 'hard bounce',
  spamreport: 'spam report',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed from the group',
};

/** Applies receipts and send outcomes to invites, and publishes each change for the rules. */
@Injectable()
export class InviteStatusService {
  private readonly log = new Logger('InviteStatus');

  constructor(
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly suppressions: SuppressionService,
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
    const rows = items.map(({ receipt: r }) => ({
      id: newId(),
      invite_id: r.inviteId,
      provider: r.provider,
      event: r.event,
      provider_event_id: r.providerEventId,
      reason: r.reason,
      occurred_at: r.occurredAt,
    }));
    const kept: { id: string }[] = await em.query(
      `INSERT INTO delivery_receipts (id, invite_id, provider, event, provider_event_id, reason, occurred_at)
       SELECT x.id, x.invite_id, x.provider, x.event, x.provider_event_id, x.reason, x.occurred_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, invite_id uuid, provider text, event text,
            provider_event_id text, reason text, occurred_at timestamptz)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(rows)],
    );
    const fresh = new Set(kept.map((k) => k.id));
    const invites = await this.lock(em, [...new Set(items.map((i) => i.receipt.inviteId))]);
    const now = this.clock.now();
    const touched = new Set<InviteEntity>();
    const suppress: Suppression[] = [];
    const lift: InviteEntity[] = [];
    items.forEach(({ receipt: r, correlationId }, i) => {
      if (!fresh.has(rows[i].id)) return;
      const invite = invites.get(r.inviteId);
      if (!invite) {
        this.log.warn(`receipt for unknown invite ${r.inviteId} ignored`);
        return;
      }
      const why =
        SUPPRESSING[r.event] ??
        (r.provider === 'twilio' && /\b21610\b/.test(r.reason ?? '')
          ? 'replied STOP (Twilio 21610)'
          : undefined);
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
    await this.save(em, [...touched], now);
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

  /** Moves an invite to a state decided by our own code (Failed before sending, Suppressed, …). */
  async transition(
    em: EntityManager,
    invite: InviteEntity,
    next: InviteState,
    correlationId?: string,
  ): Promise<void> {
    const now = this.clock.now();
    this.announce(em, invite, next, now, correlationId);
    await this.save(em, [invite], now);
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
        occurredAt: now.toISOString(),
        ...(invite.actionId ? { actionId: invite.actionId } : {}),
      },
    });
  }

  private async lock(em: EntityManager, ids: string[]): Promise<Map<string, InviteEntity>> {
    const rows: InviteRow[] = await em.query(
      `SELECT id, action_id, case_id, distribution_id, channel, kind, status, delivery_status, reason, provider_message_id, sent_at,
              recipient
       FROM invites WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, inviteFromRow(r)]));
  }

  private async save(em: EntityManager, invites: InviteEntity[], now: Date) {
    if (!invites.length) return;
    await em.query(
      `UPDATE invites i SET status = x.status, delivery_status = x.delivery_status, reason = x.reason,
              status_changed_at = COALESCE(x.status_changed_at, i.status_changed_at),
              sent_at = COALESCE(i.sent_at, x.sent_at),
              provider_message_id = COALESCE(i.provider_message_id, x.provider_message_id)
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, delivery_status text, reason text,
            status_changed_at timestamptz, sent_at timestamptz, provider_message_id text)
       WHERE i.id = x.id`,
      [
        JSON.stringify(
          invites.map((i) => ({
            id: i.id,
            status: i.status,
            delivery_status: i.deliveryStatus,
            reason: i.reason,
            status_changed_at: i.statusChangedAt ?? now,
            sent_at: i.sentAt,
            provider_message_id: i.providerMessageId,
          })),
        ),
      ],
    );
  }
}

/** An invite from a raw row (set-based queries return rows, not entities). */
export function inviteFromRow(r: Partial<InviteRow> & Pick<InviteRow, 'id'>): InviteEntity {
  return Object.assign(new InviteEntity(), {
    id: r.id,
    actionId: r.action_id,
    caseId: r.case_id,
    distributionId: r.distribution_id,
    channel: r.channel,
    kind: r.kind,
    status: r.status,
    deliveryStatus: r.delivery_status,
    reason: r.reason ?? null,
    providerMessageId: r.provider_message_id ?? null,
    sentAt: r.sent_at ?? null,
    ...(r.recipient !== undefined ? { recipient: r.recipient } : {}),
  });
}
