import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel, Scalar, SurveyActionRequested, SurveyActionResult, dispatchTopicFor } from '@fg/contracts';
import { newId } from '@fg/common';
import { CaseEntity, InviteEntity, InviteRepository } from '@fg/persistence';
import { InviteStatusService, normalizeAddress } from '@fg/invites';
import { OutboxService } from '@fg/messaging';
import { IssuedLink, pairKey } from './link.service';

type SendKind = Exclude<SurveyActionRequested['kind'], 'issue_link'>;

export interface InviteRequest {
  action: SurveyActionRequested & { kind: SendKind; channel: Channel };
  kase: CaseEntity;
  issued: IssuedLink;
  correlationId: string;
}

export type InviteOutcome = Pick<SurveyActionResult, 'outcome' | 'reason'> & { inviteId?: string };

/** The recipient an action names: a case custom field, a profile attribute, or the contact's address. */
function recipientOf(action: InviteRequest['action'], kase: CaseEntity): { to: string; missing: string } {
  const ref = action.recipientField;
  let v: Scalar | undefined;
  if (ref?.startsWith('custom.')) v = kase.customFields[ref.slice(7)];
  else if (ref?.startsWith('profile.')) v = kase.contact?.attributes?.[ref.slice(8)];
  else v = action.channel === 'email' ? kase.contact?.email : kase.contact?.phone;
  const missing = ref
    ? `NO_RECIPIENT: ${ref} is empty on this case`
    : action.channel === 'email'
      ? 'NO_RECIPIENT_EMAIL'
      : 'NO_RECIPIENT_PHONE';
  return { to: typeof v === 'string' ? v.trim() : '', missing };
}

@Injectable()
export class InviteService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly statuses: InviteStatusService,
    private readonly inviteRows: InviteRepository,
  ) {}

  /**
   * Creates the invites for actions and asks each channel's sender to deliver them. An invite is unique per
   * action, and per distribution and case for invitations and thank-yous; reminders stop at the action's
   * `maxReminders`. A replayed action creates nothing and sends nothing. Returns each request's outcome.
   */
  async createAndDispatch(em: EntityManager, requests: InviteRequest[]): Promise<InviteOutcome[]> {
    if (!requests.length) return [];
    const existing = await this.inviteRows.byActions(
      em,
      requests.map((r) => r.action.actionId),
    );
    const reminders = await this.reminderCounts(em, requests);
    const outcomes: InviteOutcome[] = [];
    const rows: {
      i: number;
      id: string;
      action_id: string;
      link_id: string;
      distribution_id: string;
      case_id: string;
      channel: Channel;
      kind: SendKind;
      language: string;
      recipient: string;
      missing: string;
      use_distribution_account: boolean;
      contact_key: string | null;
    }[] = [];
    requests.forEach(({ action, kase, issued }, i) => {
      const already = existing.get(action.actionId);
      if (already) {
        outcomes[i] = {
          outcome: 'dispatched',
          reason: `ALREADY_REQUESTED: invite ${already} was made for this action before`,
          inviteId: already,
        };
        return;
      }
      if (action.kind === 'reminder' && action.maxReminders !== undefined) {
        const k = pairKey(action.distributionId, kase.id);
        const n = reminders.get(k) ?? 0;
        if (n >= action.maxReminders) {
          outcomes[i] = {
            outcome: 'skipped',
            reason: `REMINDER_LIMIT_REACHED: ${n} reminder(s) already sent (max ${action.maxReminders})`,
          };
          return;
        }
        reminders.set(k, n + 1);
      }
      const { to, missing } = recipientOf(action, kase);
      rows.push({
        i,
        id: newId(),
        action_id: action.actionId,
        link_id: issued.link.id,
        distribution_id: action.distributionId,
        case_id: kase.id,
        channel: action.channel,
        kind: action.kind,
        language: issued.link.language,
        recipient: to,
        missing,
        use_distribution_account: action.useDistributionAccount ?? true,
        // Who the contact-frequency (quarantine) rules count invitations for, across surveys and channels.
        contact_key: kase.contact?.id
          ? `contact:${kase.contact.id}`
          : to
            ? `${action.channel}:${normalizeAddress(action.channel, to)}`
            : null,
      });
    });
    const created = await this.inviteRows.insertMany(em, rows);
    for (const row of rows) {
      const { action, issued, correlationId } = requests[row.i];
      if (!created.has(row.id)) {
        outcomes[row.i] = {
          outcome: 'skipped',
          reason:
            row.kind === 'thank_you'
              ? 'THANK_YOU_ALREADY_SENT: this case already got the thank-you of this distribution'
              : 'INVITATION_ALREADY_EXISTS: this case already has an invitation of this distribution',
        };
        continue;
      }
      if (!row.recipient) {
        const invite = Object.assign(new InviteEntity(), {
          id: row.id,
          actionId: row.action_id,
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
          { status: 'Failed', deliveryStatus: 'failed', reason: row.missing },
          correlationId,
        );
        outcomes[row.i] = { outcome: 'failed', reason: row.missing, inviteId: row.id };
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
          ...(row.use_distribution_account ? {} : { useDistributionAccount: false }),
        },
      });
      outcomes[row.i] = { outcome: 'dispatched', reason: null, inviteId: row.id };
    }
    return outcomes;
  }

  private async reminderCounts(em: EntityManager, requests: InviteRequest[]): Promise<Map<string, number>> {
    const pairs = [
      ...new Map(
        requests
          .filter((r) => r.action.kind === 'reminder')
          .map((r) => [pairKey(r.action.distributionId, r.kase.id), r]),
      ).values(),
    ].map((r) => ({ distributionId: r.action.distributionId, caseId: r.kase.id }));
    const counts = await this.inviteRows.reminderCounts(em, pairs);
    return new Map(counts.map((c) => [pairKey(c.distributionId, c.caseId), c.n]));
  }
}
