import { Metrics } from '@fg/common';
import type { CloudEvent } from '@fg/contracts';
import { FunnelMetrics } from './funnel-metrics';

const ev = (data: unknown) => ({ data }) as CloudEvent;
const D = '11111111-1111-4111-8111-111111111111';

describe('funnel counters', () => {
  const count = async (m: Metrics, name: string) =>
    Object.fromEntries(
      (await m.registry.getSingleMetric(name)!.get()).values.map((v) => [
        Object.entries(v.labels)
          .filter(([k]) => k !== 'distribution_id')
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => `${k}=${x}`)
          .join(','),
        v.value,
      ]),
    );

  it('counts each invitation stage once, and what was not sent by reason', async () => {
    const m = new Metrics('test');
    const f = new FunnelMetrics(m);
    const base = { distributionId: D, channel: 'email', kind: 'invitation', reasonCode: null };
    f.linksIssued([ev({ distributionId: D })]);
    f.inviteStatuses([
      ev({ ...base, status: 'Invite Sent', previousStatus: 'Pending', deliveryStatus: 'accepted' }),
      ev({ ...base, status: 'Invite Sent', previousStatus: 'Invite Sent', deliveryStatus: 'delivered' }),
      ev({ ...base, status: 'Invite Opened', previousStatus: 'Invite Sent', deliveryStatus: 'opened' }),
      ev({
        ...base,
        kind: 'reminder',
        status: 'Invite Sent',
        previousStatus: 'Pending',
        deliveryStatus: 'accepted',
      }),
      ev({
        ...base,
        status: 'Failed',
        previousStatus: 'Invite Sent',
        deliveryStatus: 'failed',
        reasonCode: 'BOUNCED',
      }),
    ]);
    expect(await count(m, 'fg_funnel_total')).toEqual({
      'channel=none,stage=issued': 1,
      'channel=email,stage=sent': 1,
      'channel=email,stage=delivered': 1,
      'channel=email,stage=opened': 1,
    });
    expect(await count(m, 'fg_invites_not_sent_total')).toEqual({
      'channel=email,kind=invitation,reason_code=BOUNCED,status=Failed': 1,
    });
  });

  it('counts every response stage passed, also when a submit skips one', async () => {
    const m = new Metrics('test');
    const f = new FunnelMetrics(m);
    f.responseStatuses([
      ev({ distributionId: D, previousStatus: 'Not Started', status: 'Survey Opened' }),
      ev({ distributionId: D, previousStatus: 'Survey Opened', status: 'Completed' }),
    ]);
    expect(await count(m, 'fg_funnel_total')).toEqual({
      'channel=all,stage=survey_opened': 1,
      'channel=all,stage=started': 1,
      'channel=all,stage=completed': 1,
    });
  });
});
