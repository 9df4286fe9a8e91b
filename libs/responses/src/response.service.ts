import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newId } from '@fg/common';
import { ResponseStatus, responseStatus } from '@fg/contracts';
import { OutboxService } from '@fg/messaging';
import {
  Answers,
  DistributionEntity,
  DistributionRepository,
  ResponseRepository,
  SurveyLinkEntity,
  SurveyLinkRepository,
} from '@fg/persistence';

const ORDER = responseStatus.options;

export type ResponseOutcome =
  | { state: 'moved'; previous: ResponseStatus }
  | { state: 'unchanged'; current: ResponseStatus }
  | { state: 'used_up' }
  | { state: 'unknown_link' };

/**
 * The one path for a respondent's progress, whatever reports it: our hosted page, a survey tool over REST
 * (`POST /ops/links/:id/response-status`, `POST /ops/responses/report`) or over Kafka (`response.reports`).
 *
 * - The link's response status only moves forward (Not Started → Survey Opened → In Progress → Partially
 *   Completed → Completed); each move is published on `response.status` in the same transaction.
 * - Progress and completions are kept as a response row (answers, the distribution's tags, the data bound to
 *   the link), so stats and exports count completions from every entry point alike.
 * - A submission on the hosted page is counted against the link's limit by one conditional statement that also
 *   decides the window reset under the row lock (`SurveyLinkRepository.countSubmission`). A survey tool's
 *   report is not: the tool hosts the survey, so it enforces its own limit, and what it reports is recorded.
 */
@Injectable()
export class ResponseService {
  constructor(
    private readonly links: SurveyLinkRepository,
    private readonly distributions: DistributionRepository,
    private readonly responses: ResponseRepository,
    private readonly outbox: OutboxService,
  ) {}

  /** A respondent answered on the hosted page: save progress, or submit (counted against the limit). */
  async answer(
    em: EntityManager,
    link: SurveyLinkEntity,
    distribution: Pick<DistributionEntity, 'tags'>,
    status: 'In Progress' | 'Partially Completed' | 'Completed',
    answers: Answers,
    at: Date,
  ): Promise<ResponseOutcome> {
    if (status === 'Completed' && !(await this.links.countSubmission(link.id, at, em)))
      return { state: 'used_up' };
    await this.responses.save(em, {
      id: newId(),
      linkId: link.id,
      distributionId: link.distributionId,
      caseId: link.caseId,
      status,
      answers,
      tags: distribution.tags,
      transactionData: link.transactionData,
      language: link.language,
      source: link.source === 'test' ? 'test' : 'hosted',
      at,
    });
    return this.move(em, link.id, status, at);
  }

  /** A status reported for a link (a survey tool, the CRM, or the page being opened). Forward only. */
  async report(
    em: EntityManager,
    linkId: string,
    status: ResponseStatus,
    at: Date,
  ): Promise<ResponseOutcome> {
    const outcome = await this.move(em, linkId, status, at);
    if (outcome.state !== 'moved' || status === 'Survey Opened' || status === 'Not Started') return outcome;
    const link = await this.links.findById(linkId, em);
    const distribution = link && (await this.distributions.findById(link.distributionId, em));
    if (!link || !distribution) return outcome;
    await this.responses.save(em, {
      id: newId(),
      linkId,
      distributionId: link.distributionId,
      caseId: link.caseId,
      status,
      answers: {},
      tags: distribution.tags,
      transactionData: link.transactionData,
      language: link.language,
      source: link.source === 'test' ? 'test' : 'external',
      at,
    });
    return outcome;
  }

  private async move(
    em: EntityManager,
    linkId: string,
    to: ResponseStatus,
    at: Date,
  ): Promise<ResponseOutcome> {
    const behind = ORDER.slice(0, ORDER.indexOf(to));
    const moved = behind.length ? await this.links.advanceResponseStatus(linkId, to, behind, at, em) : null;
    if (!moved) {
      const link = await this.links.findById(linkId, em);
      return link ? { state: 'unchanged', current: link.responseStatus } : { state: 'unknown_link' };
    }
    this.outbox.add(em, {
      topic: 'responseStatus',
      key: moved.caseId ?? linkId,
      data: {
        linkId,
        caseId: moved.caseId ?? '',
        distributionId: moved.distributionId,
        status: to,
        previousStatus: moved.previous,
        occurredAt: at.toISOString(),
      },
    });
    return { state: 'moved', previous: moved.previous };
  }
}
