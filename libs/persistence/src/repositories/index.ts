import { RuleTimerRepository } from './rule-timer.repository';
import { RuleRunRepository } from './rule-run.repository';
import { RuleEvaluationRepository } from './rule-evaluation.repository';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import { DeliveryReceiptRepository } from './delivery-receipt.repository';
import { DeadLetterRepository } from './dead-letter.repository';
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
import { LinkGuessRepository } from './link-guess.repository';
import { SendRateRepository } from './send-rate.repository';
import { SuppressionRepository } from './suppression.repository';
import { SurveyLinkRepository } from './survey-link.repository';
import { SurveyRepository } from './survey.repository';
import { TemplateRepository } from './template.repository';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookSubscriptionRepository } from './webhook-subscription.repository';

export * from './api-key.repository';
export * from './case.repository';
export * from './contact.repository';
export * from './distribution.repository';
export * from './invite.repository';
export * from './quarantine-rule.repository';
export * from './response.repository';
export * from './rule.repository';
export * from './sandbox-message.repository';
export * from './segment.repository';
export * from './link-guess.repository';
export * from './send-rate.repository';
export * from './suppression.repository';
export * from './survey-link.repository';
export * from './survey.repository';
export * from './template.repository';
export * from './webhook-delivery.repository';
export * from './webhook-subscription.repository';
export * from './delivery-receipt.repository';
export * from './dead-letter.repository';
export * from './idempotency-key.repository';
export * from './rule-evaluation.repository';
export * from './rule-run.repository';
export * from './rule-timer.repository';

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
  LinkGuessRepository,
  SendRateRepository,
  SuppressionRepository,
  SurveyLinkRepository,
  SurveyRepository,
  TemplateRepository,
  DeliveryReceiptRepository,
  DeadLetterRepository,
  IdempotencyKeyRepository,
  RuleEvaluationRepository,
  RuleRunRepository,
  RuleTimerRepository,
  WebhookDeliveryRepository,
  WebhookSubscriptionRepository,
];
