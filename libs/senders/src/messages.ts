import type { Channel, DeliveryReceipt } from '@fg/contracts';

/** A W3C traceparent (version 00). */
export const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace context of the send, which providers echo on their receipts (so a receipt continues the send's trace). */
export interface SendTrace {
  traceparent?: string;
  tracestate?: string;
}

export interface EmailMessage {
  channel: 'email';
  trace?: SendTrace;
  /** Our id, echoed by the provider on every event (SendGrid personalizations[].custom_args.invite_id). */
  inviteId: string;
  to: string;
  from: { email: string; name?: string };
  subject: string;
  html: string;
  text: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). */
  headers?: Record<string, string>;
}

export interface SmsMessage {
  channel: 'sms';
  trace?: SendTrace;
  inviteId: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
}

/** An approved template (ContentSid + ContentVariables) outside the 24-hour window, a free-form body inside it. */
export interface WhatsappMessage {
  channel: 'whatsapp';
  trace?: SendTrace;
  inviteId: string;
  to: string;
  from: string;
  contentSid?: string;
  contentVariables?: Record<string, string>;
  body?: string;
}

export type OutgoingMessage = EmailMessage | SmsMessage | WhatsappMessage;

export interface SendResult {
  providerMessageId: string | null;
}

/**
 * A provider's refusal. `permanent` ones (invalid address, opted out, outside the WhatsApp window) are never
 * retried; others are, after `retryAfterMs` when the provider said so. `suppress` names why the address must
 * go on the suppression list (e.g. Twilio 21610: the recipient replied STOP).
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly code: string,
    readonly retryAfterMs?: number,
    readonly suppress?: string,
    /**
     * The request may have reached the provider (the connection broke or timed out after it was sent): whether
     * the message went out is unknown, so it must not simply be sent again (see the reconciler).
     */
    readonly ambiguous = false,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** Errors that mean the request never left: nothing can have been sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * A call that got no HTTP answer: "not sent" when the connection was never made, otherwise ambiguous (reset,
 * timed out or hung up after the request was written).
 */
export function networkError(provider: string, e: unknown): ProviderError {
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const never = NOT_SENT.has(code);
  return new ProviderError(
    `${provider} unreachable: ${err.message ?? code}`,
    false,
    never ? `NETWORK ${code}` : `NO_ANSWER ${code || 'unknown'}`.trim(),
    undefined,
    undefined,
    !never,
  );
}

/** Our invite ids as providers echo them back. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A provider's webhook call as it arrived: the raw bytes, the headers, the full public URL and form fields. */
export interface WebhookRequest {
  rawBody?: Buffer;
  headers: Record<string, string | undefined>;
  /** The URL the provider called, as the public saw it (`PUBLIC_BASE_URL` + path and query). */
  url: string;
  /** Form fields (Twilio posts application/x-www-form-urlencoded). */
  params: Record<string, string>;
  /** When we received it (providers that sign a timestamp refuse requests outside their window). */
  receivedAt?: Date;
}

/** What identifies a message we may have sent: to whom, from when, and text only it contains (its link). */
export interface SentQuery {
  inviteId: string;
  to: string;
  since: Date;
  marker: string;
}

/**
 * A receipt in our vocabulary, with why the address must be suppressed when the provider says so, and the trace
 * context of the send when the provider echoed it (published as the receipt event's `traceparent`).
 */
export type NormalizedReceipt = DeliveryReceipt & { trace?: SendTrace };

/** What an inbound message asks for (Twilio STOP/START/HELP keywords). */
export interface InboundKeyword {
  channel: Exclude<Channel, 'email'>;
  from: string;
  word: string;
  intent: 'stop' | 'start' | 'help' | null;
}

/**
 * One adapter per provider and channel, owning both directions (after Novu's provider classes): sending, and
 * verifying then parsing the provider's webhooks into normalized receipts. What a provider's codes mean (Twilio
 * 21610, SendGrid's bounce) is decided here and nowhere else.
 */
export abstract class ChannelProvider {
  abstract readonly name: 'sendgrid' | 'twilio' | 'sandbox';
  abstract readonly channel: Channel;
  abstract send(message: OutgoingMessage): Promise<SendResult>;

  /**
   * For a send whose answer was never recorded (the process died during the call): did the provider take a
   * message for this invite? `null`: this provider can't be asked (the send stays at most once).
   */
  async findSent(_q: SentQuery): Promise<{ providerMessageId: string | null } | 'not-sent' | null> {
    return null;
  }

  /** Whether a webhook call is genuinely the provider's (signature over the raw request). */
  verifyWebhook(_req: WebhookRequest): boolean {
    return false;
  }

  /** The receipts in a verified webhook call that concern our invites (others are ignored). */
  parseReceipts(_req: WebhookRequest): NormalizedReceipt[] {
    return [];
  }
}

/** The account a message goes out through: what per-account rate limits are keyed by. */
export function accountOf(m: OutgoingMessage): string {
  switch (m.channel) {
    case 'email':
      return `email:${m.from.email}`;
    case 'sms':
      return `sms:${m.messagingServiceSid ?? m.from ?? ''}`;
    case 'whatsapp':
      return `whatsapp:${m.from}`;
  }
}
