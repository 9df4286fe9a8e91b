import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { InviteRepository, SurveyLinkRepository } from '@fg/persistence';
import type { SurveyState } from './condition-evaluator';

/** The survey side of each case (its invites and its links' response statuses), read for survey conditions. */
@Injectable()
export class SurveyStateService {
  constructor(
    private readonly invites: InviteRepository,
    private readonly links: SurveyLinkRepository,
  ) {}

  async load(em: EntityManager, caseIds: string[]): Promise<Map<string, SurveyState>> {
    const out = new Map<string, SurveyState>(caseIds.map((id) => [id, { invites: [], responses: [] }]));
    if (!caseIds.length) return out;
    for (const { caseId, ...i } of await this.invites.forCases(em, caseIds)) out.get(caseId)!.invites.push(i);
    for (const l of await this.links.responseStatusesOfCases(em, caseIds))
      out.get(l.caseId!)!.responses.push({ distributionId: l.distributionId, status: l.responseStatus });
    return out;
  }
}
