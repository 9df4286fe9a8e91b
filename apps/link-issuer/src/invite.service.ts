import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel, SurveyActionRequested, dispatchTopicFor } from '@fg/contracts';
import { newId } from '@fg/common';
import { CaseEntity, InviteEntity } from '@fg/persistence';
import { InviteStatusService } from '@fg/invites';
import { OutboxService } from '@fg/messaging';
import { IssuedLink } from './link.service';

type SendKind = Exclude<SurveyActionRequested['kind'], 'issue_link'>;

export interface InviteRequest {
  action: SurveyActionRequested & { kind: SendKind; channel: Channel };
  kase: CaseEntity;
  issued: IssuedLink;
  correlationId: string;
}

@Injectable()
export class InviteService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly statuses: InviteStatusService,
  ) {}

  /**
   * Creates the invites for actions and asks each channel's sender to deliver them. An invite is unique per
   * action and (for invitations) per distribution and case: a replay creates nothing and sends nothing.
   */
  async createAndDispatch(em: EntityManager, requests: InviteRequest[]): Promise<void> {
    if (!requests.length) return;
    const rows = requests.map(({ action, kase, issued }) => ({
      id: newId(),
      action_id: action.actionId,
      link_id: issued.link.id,
      distribution_id: action.distributionId,
      case_id: kase.id,
      channel: action.channel,
      kind: action.kind,
      language: issued.link.language,
      recipient: (action.channel === 'email' ? kase.contact?.email : kase.contact?.phone) ?? '',
    }));
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                            status, delivery_status)
       SELECT x.id, x.action_id, x.link_id, x.distribution_id, x.case_id, x.channel, x.kind, x.language, x.recipient,
              'Pending', 'pending'
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, action_id uuid, link_id uuid, distribution_id uuid,
            case_id text, channel text, kind text, language text, recipient text)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(rows)],
    );
    const created = new Set(inserted.map((r) => r.id));
    for (const [i, row] of rows.entries()) {
      if (!created.has(row.id)) continue;
      const { action, issued, correlationId } = requests[i];
      if (!row.recipient) {
        const invite = Object.assign(new InviteEntity(), {
          id: row.id,
          caseId: row.case_id,
          distributionId: row.distribution_id,
          channel: action.channel,
          kind: action.kind,
          status: 'Pending',
          deliveryStatus: 'pending',
          sentAt: null,
        });
        await this.statuses.transition(
          em,
          invite,
          {
            status: 'Failed',
            deliveryStatus: 'failed',
            reason: action.channel === 'email' ? 'NO_RECIPIENT_EMAIL' : 'NO_RECIPIENT_PHONE',
          },
          correlationId,
        );
        continue;
      }
      this.outbox.add(em, {
        topic: dispatchTopicFor[action.channel],
        key: row.case_id,
        correlationId,
        data: {
          inviteId: row.id,
          caseId: row.case_id,
          distributionId: action.distributionId,
          kind: action.kind,
          channel: action.channel,
          language: issued.link.language,
          recipient: row.recipient,
          link: { url: issued.url, expiresAt: issued.link.expiresAt?.toISOString() ?? null },
          variables: issued.link.transactionData,
        },
      });
    }
  }
}
