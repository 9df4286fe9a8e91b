import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, sha256 } from '@fg/common';
import { DistributionEntity, SurveyEntity, SurveyLinkEntity, returnedRows } from '@fg/persistence';
import { LinkTokens } from '@fg/invites';
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
      const changed = await this.outbox.transaction(async (em) => {
        const rows = returnedRows(
          await em.query(
            `UPDATE survey_links SET response_status = 'Survey Opened', opened_at = $2
           WHERE id = $1 AND response_status = 'Not Started' RETURNING id`,
            [link.id, now],
          ),
        );
        if (!rows.length) return false;
        this.outbox.add(em, {
          topic: 'responseStatus',
          key: link.caseId ?? link.id,
          data: {
            linkId: link.id,
            caseId: link.caseId ?? '',
            distributionId: link.distributionId,
            status: 'Survey Opened',
            previousStatus: 'Not Started',
            occurredAt: now.toISOString(),
          },
        });
        return true;
      });
      if (changed) {
        link.responseStatus = 'Survey Opened';
        this.messaging.wakeRelay();
      }
    }
    return { state: 'open', link, survey, distribution };
  }
}
