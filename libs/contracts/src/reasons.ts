import { z } from 'zod';

/**
 * Why an invite is where it is, or why a rule's survey action did not simply go through: every reason an invite
 * or an action result carries starts with one of these codes (`CODE: detail`), and `invite.status` and
 * `survey.action-results` events carry the code on its own as `reasonCode`. The README lists them.
 */
export const REASON_CODES = {
  // A rule's survey action that could not be done (survey.action-results)
  NO_CHANNEL: 'a send action names no channel',
  CASE_UNKNOWN: 'the action names a case we have never seen',
  DISTRIBUTION_NOT_FOUND: 'the distribution the action names does not exist',
  DISTRIBUTION_EXPIRED: 'the distribution has expired; no links are issued for it',
  DISTRIBUTION_FAILED: 'the distribution failed; no links are issued for it',
  ALREADY_REQUESTED: 'a replay of an action whose invite already exists; nothing new is sent',
  REMINDER_LIMIT_REACHED: "the case already got the action's maximum number of reminders",
  INVITATION_ALREADY_EXISTS: 'the case already has an invitation of this distribution',
  THANK_YOU_ALREADY_SENT: 'the case already got the thank-you of this distribution',
  // Refused before sending
  SUPPRESSED: 'the address is on the suppression list (bounce, spam report, unsubscribe, STOP)',
  QUARANTINED: 'a contact-frequency rule allows no more invitations to this contact now',
  TEMPLATE_NOT_FOUND: 'no template for the channel, kind and language (nor its base or the default language)',
  TEMPLATE_MISSING_VALUE: 'a placeholder of the template has no value for this case',
  TEMPLATE_UNSAFE: 'the HTML template inserts a value without escaping ({{{x}}}); such templates are refused',
  NO_SENDER_ACCOUNT: 'the distribution has no sender account for the channel',
  NO_CONVERSATION_ACCOUNT: "the case's conversation account is unknown",
  NO_RECIPIENT: 'the field the rule names for the recipient is empty',
  NO_RECIPIENT_EMAIL: 'the case has no e-mail address',
  NO_RECIPIENT_PHONE: 'the case has no phone number',
  QUIET_HOURS:
    "outside the distribution's send window in the recipient's time zone: deferred to the next opening",
  // The provider's answer to a send
  PROVIDER_REJECTED: 'the provider refused the message for good (invalid number, opted out, …); not retried',
  PROVIDER_UNAVAILABLE:
    'the provider could not take the message (429/5xx/unreachable, or its circuit is open): deferred while retried, Failed after SEND_RETRY_HORIZON_MINUTES',
  SEND_INTERRUPTED:
    'the process died during the provider call and the provider has no such message: the send is tried again',
  UNCONFIRMED_SEND:
    'the process died during the provider call and the provider cannot be asked whether it took the message (SendGrid); never re-sent',
  // Receipts
  BOUNCED: 'the mailbox does not exist or refused the message (hard bounce)',
  BLOCKED: 'the receiving server blocked the message',
  DROPPED: 'the provider dropped the message (e.g. a previously bounced address)',
  UNDELIVERED: 'the carrier could not deliver the message',
  DELIVERY_FAILED: 'the provider could not send the message',
  SPAM_REPORT: 'the recipient reported the message as spam',
  UNSUBSCRIBED: 'the recipient unsubscribed',
  RECIPIENT_OPTED_OUT: 'the recipient replied STOP to this sender (Twilio 21610)',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;
export const reasonCode = z.enum(Object.keys(REASON_CODES) as [ReasonCode, ...ReasonCode[]]);

/** A reason as text (`CODE: detail`) and as `{ code, detail }`. */
export interface Reason {
  code: ReasonCode;
  detail: string;
}

export const reasonText = (r: Reason): string => (r.detail ? `${r.code}: ${r.detail}` : r.code);

/** The code a reason text starts with; throws for a code that is not in REASON_CODES (a programming error). */
export function reasonOf(text: string | null): Reason | null {
  if (text === null) return null;
  const m = /^([A-Z][A-Z0-9_]+)(?::\s*([\s\S]*))?$/.exec(text);
  const code = m && reasonCode.safeParse(m[1]);
  if (!m || !code?.success)
    throw new Error(`reason "${text.slice(0, 80)}" does not start with a known reason code`);
  return { code: code.data, detail: m[2] ?? '' };
}
