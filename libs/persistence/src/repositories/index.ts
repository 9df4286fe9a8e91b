import { ApiKeyRepository } from './api-key.repository';
import { CaseRepository } from './case.repository';
import { DistributionRepository } from './distribution.repository';
import { InviteRepository } from './invite.repository';
import { ResponseRepository } from './response.repository';
import { RuleRepository } from './rule.repository';
import { SandboxMessageRepository } from './sandbox-message.repository';
import { SurveyLinkRepository } from './survey-link.repository';
import { SurveyRepository } from './survey.repository';
import { TemplateRepository } from './template.repository';

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
  TemplateRepository,
};
export type { NewApiKey } from './api-key.repository';
export type { Answers, ResponseRow } from './response.repository';
export type { TemplateContent, TemplateKey } from './template.repository';

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
  TemplateRepository,
];
