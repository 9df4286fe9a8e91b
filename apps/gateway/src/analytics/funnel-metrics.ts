import { Injectable } from '@nestjs/common';
import { Metrics } from '@fg/common';
import type { CloudEvent, InviteStatusChanged, ResponseStatusChanged } from '@fg/contracts';

const RESPONSE_STAGES: [string, string][] = [
  ['Survey Opened', 'survey_opened'],
  ['In Progress', 'started'],
  ['Completed', 'completed'],
];
const RANK: Record<string, number> = {
  'Not Started': 0,
  'Survey Opened': 1,
  'In Progress': 2,
  'Partially Completed': 2,
  Completed: 3,
};
const NOT_SENT = new Set(['Failed', 'Suppressed', 'Quarantined', 'Unsubscribed']);

/**
 * The funnel as Prometheus counters (`fg_funnel_total{distribution_id, stage, channel}` and
 * `fg_invites_not_sent_total{…, status, reason_code}`), counted from the committed events the gateway already
 * consumes (link.issued, invite.status, response.status), after the batch commits. The Grafana dashboard beside
 * docker-compose.yml charts them; GET /ops/distributions/:id/funnel stays the exact, per-link view.
 */
@Injectable()
export class FunnelMetrics {
  constructor(private readonly metrics: Metrics) {}

  linksIssued(events: CloudEvent[]) {
    for (const e of events) {
      const d = e.data as { distributionId: string };
      this.metrics.funnel.inc({ distribution_id: d.distributionId, stage: 'issued', channel: 'none' });
    }
  }

  inviteStatuses(events: CloudEvent[]) {
    for (const e of events) {
      const s = e.data as InviteStatusChanged;
      const labels = { distribution_id: s.distributionId, channel: s.channel };
      if (NOT_SENT.has(s.status) && s.previousStatus !== s.status) {
        this.metrics.notSent.inc({
          ...labels,
          kind: s.kind,
          status: s.status,
          reason_code: s.reasonCode ?? 'none',
        });
        continue;
      }
      if (s.kind !== 'invitation') continue;
      if (s.status === 'Invite Sent' && s.previousStatus === 'Pending')
        this.metrics.funnel.inc({ ...labels, stage: 'sent' });
      if (s.deliveryStatus === 'delivered') this.metrics.funnel.inc({ ...labels, stage: 'delivered' });
      if (
        s.deliveryStatus === 'opened' ||
        (s.status === 'Invite Opened' && s.previousStatus !== 'Invite Opened')
      )
        this.metrics.funnel.inc({ ...labels, stage: 'opened' });
    }
  }

  responseStatuses(events: CloudEvent[]) {
    for (const e of events) {
      const s = e.data as ResponseStatusChanged;
      const from = RANK[s.previousStatus] ?? 0;
      const to = RANK[s.status] ?? 0;
      // Every stage passed counts (a submit straight from the page opened both starts and completes).
      for (const [status, stage] of RESPONSE_STAGES)
        if (RANK[status] > from && RANK[status] <= to)
          this.metrics.funnel.inc({ distribution_id: s.distributionId, stage, channel: 'all' });
    }
  }
}
