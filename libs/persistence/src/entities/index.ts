import { ApiKeyEntity } from './api-key.entity';
import { CaseEntity } from './case.entity';
import { DeliveryReceiptEntity } from './delivery-receipt.entity';
import { DistributionEntity } from './distribution.entity';
import { InboxEntity } from './inbox.entity';
import { InviteEntity } from './invite.entity';
import { OutboxEntity } from './outbox.entity';
import { RuleEntity } from './rule.entity';
import { SandboxMessageEntity } from './sandbox-message.entity';
import { SurveyLinkEntity } from './survey-link.entity';
import { SurveyEntity } from './survey.entity';
import { TemplateEntity } from './template.entity';

export {
  ApiKeyEntity,
  CaseEntity,
  DeliveryReceiptEntity,
  DistributionEntity,
  InboxEntity,
  InviteEntity,
  OutboxEntity,
  RuleEntity,
  SandboxMessageEntity,
  SurveyLinkEntity,
  SurveyEntity,
  TemplateEntity,
};
export type { SurveyQuestion } from './survey.entity';
export type {
  ExpiryConfig,
  ChannelAccounts,
  SubmissionLimit,
  Hosting,
  PeriodUnit,
} from './distribution.entity';

export const ENTITIES = [
  ApiKeyEntity,
  CaseEntity,
  DeliveryReceiptEntity,
  DistributionEntity,
  InboxEntity,
  InviteEntity,
  OutboxEntity,
  RuleEntity,
  SandboxMessageEntity,
  SurveyLinkEntity,
  SurveyEntity,
  TemplateEntity,
];
