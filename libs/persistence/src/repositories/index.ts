import { ApiKeyRepository } from './api-key.repository';
import { CaseRepository } from './case.repository';
import { ContactRepository } from './contact.repository';
import { DistributionRepository } from './distribution.repository';
import { InviteRepository } from './invite.repository';
import { QuarantineRuleRepository } from './quarantine-rule.repository';
import { ResponseRepository } from './response.repository';
import { RuleRepository } from './rule.repository';
import { SandboxMessageRepository } from './sandbox-message.repository';
import { SegmentRepository } from './segment.repository';
import { SuppressionRepository } from './suppression.repository';
import { SurveyLinkRepository } from './survey-link.repository';
import { SurveyRepository } from './survey.repository';
import { TemplateRepository } from './template.repository';

export {
  ApiKeyRepository,
  CaseRepository,
  ContactRepository,
  DistributionRepository,
  InviteRepository,
  QuarantineRuleRepository,
  ResponseRepository,
  RuleRepository,
  SandboxMessageRepository,
  SegmentRepository,
  SuppressionRepository,
  SurveyLinkRepository,
  SurveyRepository,
  TemplateRepository,
};
export type { NewApiKey } from './api-key.repository';
export type { CaseSnapshot } from './case.repository';
export type { ContactRow, NewContact } from './contact.repository';
export type { QuarantineRuleInput, QuarantineRuleRow } from './quarantine-rule.repository';
export type { SuppressionRow } from './suppression.repository';
export type { Answers, ResponseRow } from './response.repository';
export type { TemplateContent, TemplateKey } from './template.repository';
export type { NewLinkRow, StoredLinkRow } from './survey-link.repository';
export type { ClaimedInviteRow, InviteRow, NewInviteRow } from './invite.repository';
export { inviteFromRow } from './invite.repository';

/** Every table's repository: provided once, globally, by the PersistenceModule. */
export const REPOSITORIES = [
  ApiKeyRepository,
  CaseRepository,
  ContactRepository,
  DistributionRepository,
  InviteRepository,
  QuarantineRuleRepository,
  ResponseRepository,
  RuleRepository,
  SandboxMessageRepository,
  SegmentRepository,
  SuppressionRepository,
  SurveyLinkRepository,
  SurveyRepository,
  TemplateRepository,
];
