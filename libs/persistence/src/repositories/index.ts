import { ApiKeyRepository } from './api-key.repository';
import { CaseRepository } from './case.repository';
import { DistributionRepository } from './distribution.repository';
import { InviteRepository } from './invite.repository';
import { ResponseRepository } from './response.repository';
import { RuleRepository } from './rule.repository';
import { SandboxMessageRepository } from './sandbox-message.repository';
import { SurveyLinkRepository } from './survey-link.repository';
import { SurveyRepository } from './survey.repository';

export {
  ApiKeyRepository,
  CaseRepository,
  DistributionRepository,
  InviteRepository,
  ResponseRepository,
  RuleRepository,
  SandboxMessageRepository,
  SurveyLinkRepository,
  SurveyRepository,
};
export type { NewApiKey } from './api-key.repository';
export type { Answers, ResponseRow } from './response.repository';

/** Every table's repository: provided once, globally, by the PersistenceModule. */
export const REPOSITORIES = [
  ApiKeyRepository,
  CaseRepository,
  DistributionRepository,
  InviteRepository,
  ResponseRepository,
  RuleRepository,
  SandboxMessageRepository,
  SurveyLinkRepository,
  SurveyRepository,
];
