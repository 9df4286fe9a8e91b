import type { ReceiptEvent } from '@fg/contracts';
import { InviteState, nextInviteState } from './invite-status-machine';

const start: InviteState = { status: 'Pending', deliveryStatus: 'sending', reason: null };

function applyAll(events: ReceiptEvent[], from = start): InviteState {
  return events.reduce((s, e) => nextInviteState(s, e, e === 'bounce' ? 'mailbox full' : null) ?? s, from);
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('invite status machine', () => {
  it('moves through sent, delivered and opened', () => {
    expect(applyAll(['accepted'])).toMatchObject({ status: 'Invite Sent', deliveryStatus: 'accepted' });
    expect(applyAll(['accepted', 'delivered'])).toMatchObject({
      status: 'Invite Sent',
      deliveryStatus: 'delivered',
    });
    expect(applyAll(['accepted', 'delivered', 'open'])).toMatchObject({ status: 'Invite Opened' });
  });

  it('records the reason of a failure', () => {
    expect(applyAll(['accepted', 'bounce'])).toEqual({
      status: 'Failed',
      deliveryStatus: 'failed',
      reason: 'mailbox full',
    });
  });

  it('ignores a duplicate receipt', () => {
    const s = applyAll(['accepted', 'delivered']);
    expect(nextInviteState(s, 'delivered', null)).toBeNull();
  });

  it.each([
    [['accepted', 'deferred', 'delivered', 'open', 'click'] as ReceiptEvent[]],
    [['accepted', 'delivered', 'unsubscribe'] as ReceiptEvent[]],
    [['processed', 'deferred', 'bounce'] as ReceiptEvent[]],
  ])('ends in the same state whatever order %j arrive in, duplicated or not', (events) => {
    const expected = applyAll(events);
    for (const p of permutations(events)) {
      expect(applyAll(p)).toEqual(expected);
      expect(applyAll([...p, ...p.slice().reverse()])).toEqual(expected);
    }
  });

  it('never lets receipts move a Suppressed or Quarantined invite', () => {
    for (const status of ['Suppressed', 'Quarantined'] as const) {
      expect(
        nextInviteState({ status, deliveryStatus: 'pending', reason: 'rule' }, 'delivered', null),
      ).toBeNull();
    }
  });
});
