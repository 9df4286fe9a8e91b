import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CloudEvent, SurveyActionRequested } from '@fg/contracts';
import { DomainError, ErrorCode } from '@fg/common';
import { BatchContext, EventHandler, HandlerContext, MessagingService } from '@fg/messaging';
import { InviteRequest, InviteService } from './invite.service';
import { LinkService, pairKey } from './link.service';

@Injectable()
export class SurveyActionsConsumer implements EventHandler<'surveyActions'>, OnModuleInit {
  readonly topic = 'surveyActions' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly links: LinkService,
    private readonly invites: InviteService,
  ) {}

  onModuleInit() {
    this.messaging.register('link-issuer', this);
  }

  handle(event: CloudEvent<SurveyActionRequested>, { em }: HandlerContext): Promise<void> {
    return this.issue(em, [event]);
  }

  handleBatch(events: CloudEvent<SurveyActionRequested>[], { em }: BatchContext): Promise<void> {
    return this.issue(em, events);
  }

  /** Link first, then the case field, then the invite: in that order for every action of the batch. */
  private async issue(em: EntityManager, events: CloudEvent<SurveyActionRequested>[]): Promise<void> {
    for (const { data } of events) {
      if (data.kind !== 'issue_link' && !data.channel)
        throw new DomainError(
          ErrorCode.VALIDATION,
          `a ${data.kind} action needs a channel (email, sms or whatsapp)`,
        );
    }
    const dists = await this.links.loadDistributions(em, [
      ...new Set(events.map((e) => e.data.distributionId)),
    ]);
    const cases = await this.links.loadCases(em, [...new Set(events.map((e) => e.data.caseId))]);
    const requests = events.map((e) => ({
      event: e,
      correlationId: e.correlationid ?? e.id,
      distribution: dists.get(e.data.distributionId)!,
      kase: cases.get(e.data.caseId)!,
    }));
    const issued = await this.links.ensureLinks(
      em,
      requests.map((r) => ({ ...r, language: r.event.data.language })),
    );
    const linkOf = (r: (typeof requests)[number]) => issued.get(pairKey(r.distribution.id, r.kase.id))!;
    await this.links.writeLinkFields(
      em,
      requests
        .filter((r) => r.event.data.linkField)
        .map((r) => ({
          kase: r.kase,
          field: r.event.data.linkField!,
          url: linkOf(r).url,
          correlationId: r.correlationId,
        })),
    );
    const sends: InviteRequest[] = [];
    for (const r of requests) {
      const a = r.event.data;
      if (a.kind === 'issue_link' || !a.channel) continue;
      sends.push({
        action: { ...a, kind: a.kind, channel: a.channel },
        kase: r.kase,
        issued: linkOf(r),
        correlationId: r.correlationId,
      });
    }
    await this.invites.createAndDispatch(em, sends);
  }
}
