import { ApiKeyEntity } from './api-key.entity';
import { CaseEntity } from './case.entity';
import { ContactEntity } from './contact.entity';
import { DeadLetterEntity } from './dead-letter.entity';
import { DeliveryReceiptEntity } from './delivery-receipt.entity';
import { DistributionEntity } from './distribution.entity';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { InboxEntity } from './inbox.entity';
import { InviteEntity } from './invite.entity';
import { OutboxEntity } from './outbox.entity';
import { OutboxRelayLeaseEntity } from './outbox-relay-lease.entity';
import { QuarantineRuleEntity } from './quarantine-rule.entity';
import { ResponseEntity } from './response.entity';
import { RuleEntity } from './rule.entity';
import { RuleEvaluationEntity } from './rule-evaluation.entity';
import { RuleRunEntity } from './rule-run.entity';
import { RuleTimerEntity } from './rule-timer.entity';
import { RuleVersionEntity } from './rule-version.entity';
import { SandboxMessageEntity } from './sandbox-message.entity';
import { SegmentEntity } from './segment.entity';
import { LinkGuessCounterEntity } from './link-guess-counter.entity';
import { SendRateSlotEntity } from './send-rate-slot.entity';
import { SuppressionEntity } from './suppression.entity';
import { SurveyLinkEntity } from './survey-link.entity';
import { SurveyEntity } from './survey.entity';
import { TemplateEntity } from './template.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

export {
  ApiKeyEntity,
  CaseEntity,
  ContactEntity,
  DeadLetterEntity,
  DeliveryReceiptEntity,
  DistributionEntity,
  IdempotencyKeyEntity,
  InboxEntity,
  InviteEntity,
  OutboxEntity,
  OutboxRelayLeaseEntity,
  QuarantineRuleEntity,
  ResponseEntity,
  RuleEntity,
  RuleEvaluationEntity,
  RuleRunEntity,
  RuleTimerEntity,
  RuleVersionEntity,
  SandboxMessageEntity,
  SegmentEntity,
  LinkGuessCounterEntity,
  SendRateSlotEntity,
  SuppressionEntity,
  SurveyLinkEntity,
  SurveyEntity,
  TemplateEntity,
  WebhookDeliveryEntity,
  WebhookSubscriptionEntity,
};
export { WEBHOOK_EVENTS } from './webhook-subscription.entity';
export type { WebhookEventType } from './webhook-subscription.entity';
export type { WebhookDeliveryStatus } from './webhook-delivery.entity';
export type { SurveyQuestion } from './survey.entity';
export type { SandboxReceiptPlan } from './sandbox-message.entity';
export type {
  ExpiryConfig,
  ChannelAccounts,
  SubmissionLimit,
  Hosting,
  PeriodUnit,
  SendWindow,
  Branding,
} from './distribution.entity';

/** Every table's row type, one entity a table (entities.medium-spec.ts compares them with the schema). */
export const ENTITIES = [
  ApiKeyEntity,
  CaseEntity,
  ContactEntity,
  DeadLetterEntity,
  DeliveryReceiptEntity,
  DistributionEntity,
  IdempotencyKeyEntity,
  InboxEntity,
  InviteEntity,
  OutboxEntity,
  OutboxRelayLeaseEntity,
  QuarantineRuleEntity,
  ResponseEntity,
  RuleEntity,
  RuleEvaluationEntity,
  RuleRunEntity,
  RuleTimerEntity,
  RuleVersionEntity,
  SandboxMessageEntity,
  SegmentEntity,
  LinkGuessCounterEntity,
  SendRateSlotEntity,
  SuppressionEntity,
  SurveyLinkEntity,
  SurveyEntity,
  TemplateEntity,
  WebhookDeliveryEntity,
  WebhookSubscriptionEntity,
];
