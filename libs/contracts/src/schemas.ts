import { z } from 'zod';
import { reasonCode } from './reasons';

/** Values a case field may hold. */
export const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof scalar>;

const fieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/, 'field names are identifiers (letters, digits, _ .)');
const fieldMap = z.record(fieldName, scalar);

export const channel = z.enum(['email', 'sms', 'whatsapp']);
export type Channel = z.infer<typeof channel>;

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A BCP 47 language tag as we use them: `en`, `fr-CA`, `zh-Hant-TW`. */
export const languageTag = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, 'a language tag, e.g. "en" or "fr-CA"');

export const contact = z
  .object({
    id: z.string().min(1).max(200).optional(),
    name: z.string().max(200).optional(),
    email: z.string().email().optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'phone must be E.164, e.g. +14155550100')
      .optional(),
    language: languageTag.optional(),
    /** IANA time zone (e.g. Europe/Paris): a distribution's quiet hours follow the contact's local time. */
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'timeZone must be an IANA time zone such as Europe/Paris')
      .optional(),
    /** Profile attributes (rules can read them as `profile.<name>`, e.g. a recipient field). */
    attributes: z.record(fieldName, scalar).optional(),
  })
  .strict();
export type Contact = z.infer<typeof contact>;

/**
 * `data` of a case CloudEvent (types `case.created` and `case.updated`). The CRM sends the case as it is now;
 * `previous` (optional) names the values fields had before this change. Without it, changes are computed
 * against the last snapshot we saw of the case.
 */
export const caseEventData = z
  .object({
    caseId: z.string().min(1).max(200),
    caseNumber: z.string().max(200).optional(),
    fields: fieldMap.default({}),
    customFields: fieldMap.default({}),
    contact: contact.optional(),
    previous: fieldMap.optional(),
    /** Monotonic version of the case in the source system; an older version than one already seen is ignored. */
    version: z.number().int().nonnegative().optional(),
  })
  .strict();
export type CaseEventData = z.infer<typeof caseEventData>;

export const surveyActionKind = z.enum(['issue_link', 'invitation', 'reminder', 'thank_you']);
export type SurveyActionKind = z.infer<typeof surveyActionKind>;

/** A rule decided that a survey action must happen for a case. */
export const surveyActionRequested = z
  .object({
    actionId: z.string().uuid(),
    ruleId: z.string().uuid(),
    ruleVersion: z.number().int().positive(),
    caseId: z.string().min(1),
    distributionId: z.string().uuid(),
    kind: surveyActionKind,
    channel: channel.optional(),
    /** The case custom field the survey link is written to. */
    linkField: fieldName.optional(),
    language: languageTag.optional(),
    /** `last_message`: the language of the last message sent on this case (else the case's language). */
    languageFrom: z.enum(['case', 'last_message']).optional(),
    /** Where the recipient comes from instead of the contact: `custom.<field>` or `profile.<attribute>`. */
    recipientField: z.string().optional(),
    /** false: send from the account of the case's conversation instead of the distribution's. */
    useDistributionAccount: z.boolean().optional(),
    /** Reminders: how many a (distribution, case) may get in all; beyond it the action is skipped. */
    maxReminders: z.number().int().positive().optional(),
  })
  .strict();
export type SurveyActionRequested = z.infer<typeof surveyActionRequested>;

/** A link was issued (or re-announced) for a (distribution, case). */
export const linkIssued = z
  .object({
    linkId: z.string().uuid(),
    caseId: z.string(),
    distributionId: z.string().uuid(),
    url: z.string().url(),
    expiresAt: z.string().datetime().nullable(),
  })
  .strict();
export type LinkIssued = z.infer<typeof linkIssued>;

/** Tells the source CRM to set a case field (e.g. the survey link). */
export const caseFieldUpdate = z
  .object({
    caseId: z.string(),
    field: fieldName,
    value: scalar,
    reason: z.string(),
  })
  .strict();
export type CaseFieldUpdate = z.infer<typeof caseFieldUpdate>;

/** A message a channel sender must deliver. Everything it needs was bound when the link was issued. */
export const dispatchRequested = z
  .object({
    inviteId: z.string().uuid(),
    caseId: z.string(),
    distributionId: z.string().uuid(),
    kind: surveyActionKind.exclude(['issue_link']),
    channel,
    language: z.string(),
    recipient: z.string().min(1),
    link: z.object({ url: z.string().url(), expiresAt: z.string().datetime().nullable() }),
    variables: z.record(z.string(), scalar),
    /** false: send from the account of the case's conversation (case field `conversation_account`). */
    useDistributionAccount: z.boolean().optional(),
  })
  .strict();
export type DispatchRequested = z.infer<typeof dispatchRequested>;

export const receiptEvent = z.enum([
  'accepted',
  'processed',
  'queued',
  'sent',
  'delivered',
  'deferred',
  'bounce',
  'blocked',
  'dropped',
  'undelivered',
  'failed',
  'open',
  'read',
  'click',
  'spamreport',
  'unsubscribe',
  'group_unsubscribe',
  'group_resubscribe',
]);
export type ReceiptEvent = z.infer<typeof receiptEvent>;

/** A provider's delivery receipt, normalised. */
export const deliveryReceipt = z
  .object({
    provider: z.enum(['sendgrid', 'twilio', 'sandbox']),
    channel,
    inviteId: z.string().uuid(),
    providerMessageId: z.string().nullable(),
    event: receiptEvent,
    occurredAt: z.string().datetime(),
    /** `CODE: detail` for failures and unsubscribes (see REASON_CODES), as the provider adapter coded it. */
    reason: z.string().nullable(),
    /** Provider's own id of this receipt, when it has one (SendGrid sg_event_id). */
    providerEventId: z.string().nullable(),
    /** Why the address must go on the suppression list, when this receipt means it must (the adapter decides). */
    suppress: z.string().nullable().default(null),
  })
  .strict();
export type DeliveryReceipt = z.infer<typeof deliveryReceipt>;

export const inviteStatus = z.enum([
  'Pending',
  'Invite Sent',
  'Invite Opened',
  'Failed',
  'Quarantined',
  'Suppressed',
  'Unsubscribed',
]);
export type InviteStatus = z.infer<typeof inviteStatus>;

export const deliveryStatus = z.enum([
  'pending',
  'sending',
  'accepted',
  'deferred',
  'delivered',
  'opened',
  'clicked',
  'failed',
]);
export type DeliveryStatus = z.infer<typeof deliveryStatus>;

export const inviteStatusChanged = z
  .object({
    inviteId: z.string().uuid(),
    caseId: z.string(),
    distributionId: z.string().uuid(),
    channel,
    kind: surveyActionKind.exclude(['issue_link']),
    status: inviteStatus,
    previousStatus: inviteStatus,
    deliveryStatus,
    /** `CODE: detail` (see REASON_CODES), or null. */
    reason: z.string().nullable(),
    /** The code `reason` starts with, on its own. */
    reasonCode: reasonCode.nullable().optional(),
    occurredAt: z.string().datetime(),
    /** The rule action that asked for this invite. */
    actionId: z.string().uuid().optional(),
  })
  .strict();
export type InviteStatusChanged = z.infer<typeof inviteStatusChanged>;

export const responseStatus = z.enum([
  'Not Started',
  'Survey Opened',
  'In Progress',
  'Partially Completed',
  'Completed',
]);
export type ResponseStatus = z.infer<typeof responseStatus>;

export const responseStatusChanged = z
  .object({
    linkId: z.string().uuid(),
    caseId: z.string(),
    distributionId: z.string().uuid(),
    status: responseStatus,
    previousStatus: responseStatus,
    occurredAt: z.string().datetime(),
  })
  .strict();
export type ResponseStatusChanged = z.infer<typeof responseStatusChanged>;

/**
 * What became of a survey action the link-issuer handled. `completed`: done (a link issued and written);
 * `dispatched`: the invite already existed for this very action (a replay; new invites are not announced here:
 * their first `invite.status`, which carries the action id, says how they ended);
 * `skipped`: nothing to do (e.g. the invitation exists already, the reminder limit is reached); `failed`: it
 * can't be done (e.g. the distribution expired, no recipient).
 */
export const surveyActionResult = z
  .object({
    actionId: z.string().uuid(),
    caseId: z.string(),
    kind: surveyActionKind,
    outcome: z.enum(['completed', 'dispatched', 'skipped', 'failed']),
    reason: z.string().nullable(),
    /** The code `reason` starts with (optional only for messages written before it existed). */
    reasonCode: reasonCode.nullable().optional(),
    linkId: z.string().uuid().nullable(),
    inviteId: z.string().uuid().nullable(),
    occurredAt: z.string().datetime(),
  })
  .strict();
export type SurveyActionResult = z.infer<typeof surveyActionResult>;

/** A respondent's progress as reported for a link: over REST (by link id) and inside `response.reports`. */
export const responseReport = z
  .object({
    status: responseStatus.exclude(['Not Started']),
    /** When it happened at the survey tool; default: when we receive it. */
    occurredAt: z.string().datetime({ offset: true }).optional(),
  })
  .strict();
export type ResponseReport = z.infer<typeof responseReport>;

/** A survey hosted elsewhere reports a respondent's progress, naming the link by the signed reference it got. */
export const responseStatusReported = responseReport.extend({ ref: z.string().min(10).max(200) }).strict();
export type ResponseStatusReported = z.infer<typeof responseStatusReported>;
