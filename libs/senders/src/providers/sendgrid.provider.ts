import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { ChannelProvider, OutgoingMessage, ProviderError, SendResult } from '../messages';

interface SendGridError {
  code?: number | string;
  message?: string;
  response?: { headers?: Record<string, string>; body?: unknown };
}

/** SendGrid v3 mail send through the official client. */
export class SendGridEmailProvider extends ChannelProvider {
  readonly name = 'sendgrid' as const;
  readonly channel = 'email' as const;
  private readonly mail = new MailService();

  constructor(apiKey: string, baseUrl: string, timeoutMs = 10_000) {
    super();
    const client = new Client();
    this.mail.setClient(client);
    this.mail.setApiKey(apiKey);
    // setApiKey resets the base URL; set ours (regional or a local stub) afterwards.
    client.setDefaultRequest('baseUrl', baseUrl);
    this.mail.setTimeout(timeoutMs);
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    if (m.channel !== 'email')
      throw new ProviderError(`SendGrid sends email, not ${m.channel}`, true, 'WRONG_CHANNEL');
    try {
      const [res] = await this.mail.send({
        from: m.from,
        subject: m.subject,
        text: m.text,
        html: m.html,
        personalizations: [{ to: [{ email: m.to }], customArgs: { invite_id: m.inviteId } }],
        categories: ['feedback-gateway'],
      });
      const headers = res.headers as Record<string, string | undefined>;
      return { providerMessageId: headers['x-message-id'] ?? null };
    } catch (e) {
      throw toProviderError(e as SendGridError);
    }
  }
}

function toProviderError(e: SendGridError): ProviderError {
  const status = typeof e.code === 'number' ? e.code : undefined;
  const detail = JSON.stringify(e.response?.body ?? e.message ?? 'unknown error').slice(0, 500);
  if (status === undefined) return new ProviderError(`SendGrid unreachable: ${e.message}`, false, 'NETWORK');
  if (status === 429 || status >= 500) {
    const ra = Number(e.response?.headers?.['retry-after']);
    return new ProviderError(
      `SendGrid ${status}: ${detail}`,
      false,
      `HTTP_${status}`,
      ra > 0 ? ra * 1000 : undefined,
    );
  }
  return new ProviderError(`SendGrid ${status}: ${detail}`, true, `HTTP_${status}`);
}
