export interface EmailMessage {
  /** Our id, echoed by the provider on every event (SendGrid personalizations[].custom_args.invite_id). */
  inviteId: string;
  to: string;
  from: { email: string; name?: string };
  subject: string;
  html: string;
  text: string;
}

export interface SendResult {
  providerMessageId: string | null;
}

/**
 * A provider's refusal. `permanent` ones (invalid address, bad request) are never retried; others are, after
 * `retryAfterMs` when the provider said so.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly code: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** One adapter per email provider. */
export abstract class EmailProvider {
  abstract readonly name: 'sendgrid' | 'sandbox';
  abstract send(message: EmailMessage): Promise<SendResult>;
}
