import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, sha256 } from '@fg/common';
import { DistributionEntity, SurveyEntity, SurveyLinkEntity } from '@fg/persistence';
import { LinkTokens, ResponseStatusService } from '@fg/invites';
import { MessagingService, OutboxService } from '@fg/messaging';

export type LandingOutcome =
  | { state: 'open'; link: SurveyLinkEntity; survey: SurveyEntity; distribution: DistributionEntity }
  | { state: 'unknown' | 'not_open_yet' | 'expired' | 'closed'; at?: Date };

@Injectable()
export class LandingService {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
    private readonly messaging: MessagingService,
    private readonly responses: ResponseStatusService,
  ) {}

  /** Resolves a token; the first open of a live link records Survey Opened and publishes it. */
  async open(token: string): Promise<LandingOutcome> {
    // Unknown and revoked links take the same path and give the same answer.
    const hash = sha256(LinkTokens.looksValid(token) ? token : `invalid:${token}`);
    const link = await this.ds.getRepository(SurveyLinkEntity).findOne({ where: { tokenHash: hash } });
    if (!link || link.revokedAt) return { state: 'unknown' };
    const now = this.clock.now();
    if (link.startsAt && link.startsAt > now) return { state: 'not_open_yet', at: link.startsAt };
    if (link.expiresAt && link.expiresAt <= now) return { state: 'expired', at: link.expiresAt };
    const distribution = await this.ds
      .getRepository(DistributionEntity)
      .findOneByOrFail({ id: link.distributionId });
    const survey = await this.ds.getRepository(SurveyEntity).findOneByOrFail({ id: distribution.surveyId });
    if (survey.status === 'closed') return { state: 'closed' };
    if (link.responseStatus === 'Not Started') {
      const moved = await this.outbox.transaction((em) =>
        this.responses.advance(em, link.id, 'Survey Opened', now),
      );
      if (moved) {
        link.responseStatus = 'Survey Opened';
        this.messaging.wakeRelay();
      }
    }
    return { state: 'open', link, survey, distribution };
  }
}
