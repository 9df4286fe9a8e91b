import { z } from 'zod';
import * as s from './schemas';

export interface TopicContract<S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Topic name before the deployment's KAFKA_TOPIC_PREFIX. */
  readonly name: string;
  /** CloudEvents `type` values allowed on this topic. */
  readonly types: readonly string[];
  readonly schema: S;
  /** Who writes and who reads it, for the README and for humans. */
  readonly producers: readonly string[];
  readonly consumers: readonly string[];
}

function topic<S extends z.ZodTypeAny>(c: TopicContract<S>): TopicContract<S> {
  return c;
}

/**
 * Every topic the system uses, defined once. Producers and consumers both validate against these schemas;
 * a message that fails goes to `<topic>.dlq` with the reason.
 */
export const Topics = {
  caseEvents: topic({
    name: 'case.events',
    types: ['case.created', 'case.updated'],
    schema: s.caseEventData,
    producers: ['your CRM (any CloudEvents SDK)', 'rules (changes made by rule actions)'],
    consumers: ['rules'],
  }),
  surveyActions: topic({
    name: 'survey.actions',
    types: ['survey.action.requested'],
    schema: s.surveyActionRequested,
    producers: ['rules'],
    consumers: ['link-issuer'],
  }),
  surveyActionResults: topic({
    name: 'survey.action-results',
    types: ['survey.action.completed'],
    schema: s.surveyActionResult,
    producers: ['link-issuer'],
    consumers: ['rules (runs the next action of a rule)'],
  }),
  linkIssued: topic({
    name: 'link.issued',
    types: ['link.issued'],
    schema: s.linkIssued,
    producers: ['link-issuer'],
    consumers: ['(your systems)'],
  }),
  caseFieldUpdates: topic({
    name: 'case.field-updates',
    types: ['case.field.updated'],
    schema: s.caseFieldUpdate,
    producers: ['link-issuer', 'rules (set field / move to queue actions)'],
    consumers: ['your CRM'],
  }),
  dispatchEmail: topic({
    name: 'dispatch.email',
    types: ['dispatch.requested'],
    schema: s.dispatchRequested,
    producers: ['link-issuer'],
    consumers: ['sender-email'],
  }),
  dispatchSms: topic({
    name: 'dispatch.sms',
    types: ['dispatch.requested'],
    schema: s.dispatchRequested,
    producers: ['link-issuer'],
    consumers: ['sender-sms'],
  }),
  dispatchWhatsapp: topic({
    name: 'dispatch.whatsapp',
    types: ['dispatch.requested'],
    schema: s.dispatchRequested,
    producers: ['link-issuer'],
    consumers: ['sender-whatsapp'],
  }),
  deliveryReceipts: topic({
    name: 'delivery.receipts',
    types: ['delivery.receipt'],
    schema: s.deliveryReceipt,
    producers: ['gateway (webhooks)', 'senders'],
    consumers: ['gateway (invite status)'],
  }),
  inviteStatus: topic({
    name: 'invite.status',
    types: ['invite.status.changed'],
    schema: s.inviteStatusChanged,
    producers: ['gateway', 'senders'],
    consumers: ['rules'],
  }),
  responseStatus: topic({
    name: 'response.status',
    types: ['response.status.changed'],
    schema: s.responseStatusChanged,
    producers: ['gateway'],
    consumers: ['rules'],
  }),
  responseReports: topic({
    name: 'response.reports',
    types: ['response.status.reported'],
    schema: s.responseStatusReported,
    producers: ['survey tools hosting a distribution elsewhere'],
    consumers: ['gateway (response status)'],
  }),
} as const;

export type TopicKey = keyof typeof Topics;
export type PayloadOf<K extends TopicKey> = z.infer<(typeof Topics)[K]['schema']>;

export const dispatchTopicFor = {
  email: 'dispatchEmail',
  sms: 'dispatchSms',
  whatsapp: 'dispatchWhatsapp',
} as const satisfies Record<s.Channel, TopicKey>;

export const DLQ_SUFFIX = '.dlq';
export const deadLetterTopicOf = (topicName: string): string => `${topicName}${DLQ_SUFFIX}`;
