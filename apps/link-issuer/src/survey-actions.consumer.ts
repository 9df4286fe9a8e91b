import { Injectable, OnModuleInit } from '@nestjs/common';
import { CloudEvent, SurveyActionRequested } from '@fg/contracts';
import { DomainError, ErrorCode } from '@fg/common';
import { EventHandler, HandlerContext, MessagingService } from '@fg/messaging';
import { InviteService } from './invite.service';
import { LinkService } from './link.service';

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

  async handle(event: CloudEvent<SurveyActionRequested>, { em }: HandlerContext): Promise<void> {
    const action = event.data;
    const dist = await this.links.loadDistribution(em, action.distributionId);
    const kase = await this.links.loadCase(em, action.caseId);
    const issued = await this.links.ensureLink(em, dist, kase, action);
    if (action.kind === 'issue_link') return;
    if (!action.channel)
      throw new DomainError(
        ErrorCode.VALIDATION,
        `a ${action.kind} action needs a channel (email, sms or whatsapp)`,
      );
    await this.invites.createAndDispatch(
      em,
      { ...action, kind: action.kind, channel: action.channel },
      kase,
      issued,
    );
  }
}
