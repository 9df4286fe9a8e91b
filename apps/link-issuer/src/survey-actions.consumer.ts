import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EntityManager } from 'typeorm';
import { CloudEvent, SurveyActionRequested, SurveyActionResult, reasonOf } from '@fg/contracts';
import { Clock } from '@fg/common';
import { BatchContext, OutboxService } from '@fg/messaging';
import { InviteRequest, InviteService } from './invite.service';
import { LinkRequest, LinkService, pairKey } from './link.service';

type Outcome = Pick<SurveyActionResult, 'outcome' | 'reason'> &
  Partial<Pick<SurveyActionResult, 'linkId' | 'inviteId'>>;

@Controller()
export class SurveyActionsConsumer {
  constructor(
    private readonly links: LinkService,
    private readonly invites: InviteService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  @EventPattern('surveyActions', { consumer: 'link-issuer' })
  actions(
    @Payload() events: CloudEvent<SurveyActionRequested>[],
    @Ctx() { em }: BatchContext,
  ): Promise<void> {
    return this.issue(em, events);
  }

  /**
   * Link first, then the case field, then the invite: in that order for every action of the batch. Each
   * action's outcome is published on `survey.action-results` (the rule engine runs the next action on it),
   * except for invites handed to a sender, whose outcome is their first `invite.status`; an action that
   * can't be done fails with a reason instead of stalling its rule.
   */
  private async issue(em: EntityManager, events: CloudEvent<SurveyActionRequested>[]): Promise<void> {
    const dists = await this.links.loadDistributions(em, [
      ...new Set(events.map((e) => e.data.distributionId)),
    ]);
    const cases = await this.links.loadCases(em, [...new Set(events.map((e) => e.data.caseId))]);
    const lastLanguages = await this.links.lastMessageLanguages(em, [
      ...new Set(events.filter((e) => e.data.languageFrom === 'last_message').map((e) => e.data.caseId)),
    ]);
    const outcomes = new Map<CloudEvent<SurveyActionRequested>, Outcome>();
    const requests: (LinkRequest & { event: CloudEvent<SurveyActionRequested> })[] = [];
    for (const e of events) {
      const a = e.data;
      const reason =
        a.kind !== 'issue_link' && !a.channel
          ? `NO_CHANNEL: a ${a.kind} action needs a channel (email, sms or whatsapp)`
          : (this.links.unusable(dists.get(a.distributionId), a.distributionId) ??
            (cases.has(a.caseId) ? null : `CASE_UNKNOWN: case ${a.caseId} is unknown`));
      if (reason) {
        outcomes.set(e, { outcome: 'failed', reason });
        continue;
      }
      requests.push({
        event: e,
        correlationId: e.correlationid ?? e.id,
        ruleId: a.ruleId,
        distribution: dists.get(a.distributionId)!,
        kase: cases.get(a.caseId)!,
        language: a.language ?? (a.languageFrom === 'last_message' ? lastLanguages.get(a.caseId) : undefined),
      });
    }
    const issued = await this.links.ensureLinks(em, requests);
    const linkOf = (r: (typeof requests)[number]) => issued.get(pairKey(r.distribution.id, r.kase.id))!;
    await this.links.writeLinkFields(
      em,
      requests
        .filter((r) => r.event.data.linkField)
        .map((r) => ({
          kase: r.kase,
          field: r.event.data.linkField!,
          url: linkOf(r).url,
          linkId: linkOf(r).link.id,
          correlationId: r.correlationId,
        })),
    );
    const sends: (InviteRequest & { event: CloudEvent<SurveyActionRequested> })[] = [];
    for (const r of requests) {
      const a = r.event.data;
      if (a.kind === 'issue_link' || !a.channel) {
        outcomes.set(r.event, { outcome: 'completed', reason: null, linkId: linkOf(r).link.id });
        continue;
      }
      sends.push({
        event: r.event,
        action: { ...a, kind: a.kind, channel: a.channel },
        kase: r.kase,
        issued: linkOf(r),
        correlationId: r.correlationId,
      });
    }
    const sent = await this.invites.createAndDispatch(em, sends);
    sends.forEach((s, i) => outcomes.set(s.event, { ...sent[i], linkId: s.issued.link.id }));
    const now = this.clock.now().toISOString();
    for (const e of events) {
      const o = outcomes.get(e)!;
      // A new invite's outcome is its first status on `invite.status` (carrying the action id); only a replay
      // that found its invite already there is announced here.
      if (o.outcome === 'dispatched' && o.reason === null) continue;
      this.outbox.add(em, {
        topic: 'surveyActionResults',
        key: e.data.caseId,
        correlationId: e.correlationid ?? e.id,
        data: {
          actionId: e.data.actionId,
          caseId: e.data.caseId,
          kind: e.data.kind,
          outcome: o.outcome,
          reason: o.reason,
          reasonCode: reasonOf(o.reason)?.code ?? null,
          linkId: o.linkId ?? null,
          inviteId: o.inviteId ?? null,
          occurredAt: now,
        },
      });
    }
  }
}
