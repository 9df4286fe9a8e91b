import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel, SurveyActionRequested, dispatchTopicFor } from '@fg/contracts';
import { newId } from '@fg/common';
import { CaseEntity, InviteEntity } from '@fg/persistence';
import { InviteStatusService } from '@fg/invites';
import { OutboxService } from '@fg/messaging';
import { IssuedLink } from './link.service';

type SendKind = Exclude<SurveyActionRequested['kind'], 'issue_link'>;

@Injectable()
export class InviteService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly statuses: InviteStatusService,
  ) {}

  /**
   * Creates the invite for an action and asks the channel's sender to deliver it. The invite row is unique
   * per action and (for invitations) per distribution and case: a replay creates nothing and sends nothing.
   */
  async createAndDispatch(
    em: EntityManager,
    action: SurveyActionRequested & { kind: SendKind; channel: Channel },
    kase: CaseEntity,
    issued: IssuedLink,
  ): Promise<InviteEntity | null> {
    const recipient = action.channel === 'email' ? kase.contact?.email : kase.contact?.phone;
    const rows: { id: string }[] = await em.query(
      `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                            status, delivery_status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'Pending', 'pending') ON CONFLICT DO NOTHING RETURNING id`,
      [
        newId(),
        action.actionId,
        issued.link.id,
        action.distributionId,
        kase.id,
        action.channel,
        action.kind,
        issued.link.language,
        recipient ?? '',
      ],
    );
    if (!rows.length) return null;
    const invite = await em.getRepository(InviteEntity).findOneByOrFail({ id: rows[0].id });
    if (!recipient) {
      await this.statuses.transition(em, invite, {
        status: 'Failed',
        deliveryStatus: 'failed',
        reason: action.channel === 'email' ? 'NO_RECIPIENT_EMAIL' : 'NO_RECIPIENT_PHONE',
      });
      return invite;
    }
    this.outbox.add(em, {
      topic: dispatchTopicFor[action.channel],
      key: kase.id,
      data: {
        inviteId: invite.id,
        caseId: kase.id,
        distributionId: action.distributionId,
        kind: action.kind,
        channel: action.channel,
        language: issued.link.language,
        recipient,
        link: { url: issued.url, expiresAt: issued.link.expiresAt?.toISOString() ?? null },
        variables: issued.link.transactionData,
      },
    });
    return invite;
  }
}
