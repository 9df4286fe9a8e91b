import type { DeliveryStatus, InviteStatus, ReceiptEvent } from '@fg/contracts';

export interface InviteState {
  status: InviteStatus;
  deliveryStatus: DeliveryStatus;
  reason: string | null;
}

const STATUS_RANK: Record<InviteStatus, number> = {
  Pending: 0,
  'Invite Sent': 1,
  Failed: 2,
  'Invite Opened': 3,
  Unsubscribed: 4,
  // Decided before any provider call; receipts never move them.
  Suppressed: 9,
  Quarantined: 9,
};

const DELIVERY_RANK: Record<DeliveryStatus, number> = {
  pending: 0,
  sending: 1,
  accepted: 2,
  deferred: 3,
  delivered: 4,
  failed: 5,
  opened: 6,
  clicked: 7,
};

/** What one receipt says, before ordering rules are applied. */
function effectOf(event: ReceiptEvent): { status?: InviteStatus; delivery?: DeliveryStatus } {
  switch (event) {
    case 'accepted':
    case 'processed':
    case 'queued':
    case 'sent':
      return { status: 'Invite Sent', delivery: 'accepted' };
    case 'deferred':
      return { status: 'Invite Sent', delivery: 'deferred' };
    case 'delivered':
      return { status: 'Invite Sent', delivery: 'delivered' };
    case 'open':
    case 'read':
      return { status: 'Invite Opened', delivery: 'opened' };
    case 'click':
      return { status: 'Invite Opened', delivery: 'clicked' };
    case 'bounce':
    case 'blocked':
    case 'dropped':
    case 'undelivered':
    case 'failed':
      return { status: 'Failed', delivery: 'failed' };
    case 'spamreport':
    case 'unsubscribe':
    case 'group_unsubscribe':
      return { status: 'Unsubscribed' };
    case 'group_resubscribe':
      return {};
  }
}

/**
 * The next state after a receipt, or null when it changes nothing. Monotonic: a status or delivery status
 * only moves forward in rank, so duplicated and out-of-order receipts end in the same state.
 */
export function nextInviteState(
  current: InviteState,
  event: ReceiptEvent,
  reason: string | null,
): InviteState | null {
  if (STATUS_RANK[current.status] >= STATUS_RANK.Suppressed) return null;
  const e = effectOf(event);
  const status = e.status && STATUS_RANK[e.status] > STATUS_RANK[current.status] ? e.status : current.status;
  const deliveryStatus =
    e.delivery && DELIVERY_RANK[e.delivery] > DELIVERY_RANK[current.deliveryStatus]
      ? e.delivery
      : current.deliveryStatus;
  if (status === current.status && deliveryStatus === current.deliveryStatus) return null;
  const failedOrUnsubscribed =
    status !== current.status && (status === 'Failed' || status === 'Unsubscribed');
  return { status, deliveryStatus, reason: failedOrUnsubscribed ? (reason ?? event) : current.reason };
}
