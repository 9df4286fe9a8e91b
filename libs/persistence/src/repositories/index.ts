import { ApiKeyRepository } from './api-key.repository';
import { CaseRepository } from './case.repository';
import { DistributionRepository } from './distribution.repository';
import { InviteRepository } from './invite.repository';
import { RuleRepository } from './rule.repository';
import { SandboxMessageRepository } from './sandbox-message.repository';
import { SurveyLinkRepository } from './survey-link.repository';

export {
  ApiKeyRepository,
  CaseRepository,
  DistributionRepository,
  InviteRepository,
  RuleRepository,
  SandboxMessageRepository,
  SurveyLinkRepository,
};
export type { NewApiKey } from './api-key.repository';

/** Every table's repository: provided once, globally, by the PersistenceModule. */
export const REPOSITORIES = [
  ApiKeyRepository,
  CaseRepository,
  DistributionRepository,
  InviteRepository,
  RuleRepository,
  SandboxMessageRepository,
  SurveyLinkRepository,
];
