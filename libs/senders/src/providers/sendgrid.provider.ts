import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { ReceiptEvent, receiptEvent } from '@fg/contracts';
import {
  ChannelProvider,
  NormalizedReceipt,
  OutgoingMessage,
  ProviderError,
  networkError,
  SendResult,
  TRACEPARENT,
  UUID,
  WebhookRequest,
} from '../messages';
import { SendGridSignatureVerifier } from './sendgrid-signature';

/** One event of SendGrid's event webhook (the fields we read). */
interface SendGridEvent {
  event?: string;
  type?: string;
  invite_id?: string;
  /** The send's trace context, echoed from custom_args. */
  traceparent?: string;
  sg_event_id?: string;
  sg_message_id?: string;
  timestamp?: number;
  reason?: string;
  response?: string;
}

/** What SendGrid's events mean for the invite (reason code) and for the address (suppression). */
const MEANING: Partial<Record<ReceiptEvent, { code: string; suppress?: string }>> = {
  bounce: { code: 'BOUNCED', suppress: 'hard bounce' },
  blocked: { code: 'BLOCKED' },
  dropped: { code: 'DROPPED' },
  spamreport: { code: 'SPAM_REPORT', suppress: 'spam report' },
  unsubscribe: { code: 'UNSUBSCRIBED', suppress: 'unsubscribed' },
  group_unsubscribe: { code: 'UNSUBSCRIBED', suppress: 'unsubscribed from the group' },
};

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
  private readonly verifier?: SendGridSignatureVerifier;

  /** `apiKey` to send; `webhookPublicKey` (base64 DER, from SendGrid's Mail Settings) to accept its events. */
  constructor(
    private readonly o: {
      apiKey?: string;
      baseUrl: string;
      webhookPublicKey?: string;
      timeoutMs?: number;
      /** Oldest signed timestamp accepted, in seconds (SendGrid retries an event for up to 24 h). */
      webhookMaxAgeSeconds?: number;
    },
  ) {
    super();
    if (o.apiKey) {
      const client = new Client();
      this.mail.setClient(client);
      this.mail.setApiKey(o.apiKey);
      // setApiKey resets the base URL; set ours (regional or a local stub) afterwards.
      client.setDefaultRequest('baseUrl', o.baseUrl);
      // No redirect follower around each call (the Mail Send API answers, never redirects; a 3xx is an error).
      // Connections are kept alive by Node's global agent. (`maxRedirects` is an axios option the client passes
      // through; its typings list only its own.)
      (client.setDefaultRequest.bind(client) as (key: string, value: unknown) => void)('maxRedirects', 0);
      this.mail.setTimeout(o.timeoutMs ?? 10_000);
    }
    if (o.webhookPublicKey) this.verifier = new SendGridSignatureVerifier(o.webhookPublicKey);
    this.canSend = !!o.apiKey;
  }

  private readonly canSend: boolean;

  /**
   * ECDSA over timestamp + the raw body (re-serialised JSON would not verify), and the signed timestamp within the
   * window: no older than `webhookMaxAgeSeconds` (25 h by default: SendGrid retries events "for up to 24 hours after
   * the event occurs"), no more than 5 minutes ahead. A batch captured and replayed later is refused.
   */
  override verifyWebhook(req: WebhookRequest): boolean {
    const timestamp = req.headers['x-twilio-email-event-webhook-timestamp'];
    if (!this.verifier || !req.rawBody || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
    if (!this.verifier.verify(req.rawBody, req.headers['x-twilio-email-event-webhook-signature'], timestamp))
      return false;
    const age = (req.receivedAt ?? new Date()).getTime() / 1000 - Number(timestamp);
    return age <= (this.o.webhookMaxAgeSeconds ?? 90_000) && age >= -300;
  }

  /** Events correlate through `personalizations[].custom_args.invite_id`; others are not ours. */
  override parseReceipts(req: WebhookRequest): NormalizedReceipt[] {
    const parsed: unknown = JSON.parse(req.rawBody?.toString('utf8') ?? '');
    if (!Array.isArray(parsed)) throw new SyntaxError('expected a JSON array of events');
    const out: NormalizedReceipt[] = [];
    for (const e of parsed as SendGridEvent[]) {
      const name = e.event === 'bounce' && e.type === 'blocked' ? 'blocked' : e.event;
      const ev = receiptEvent.safeParse(name);
      if (!ev.success || !e.invite_id || !UUID.test(e.invite_id)) continue;
      const meaning = MEANING[ev.data];
      const said = e.reason ?? e.response;
      out.push({
        provider: 'sendgrid',
        channel: 'email',
        inviteId: e.invite_id,
        providerMessageId: e.sg_message_id?.split('.')[0] ?? null,
        event: ev.data,
        occurredAt: new Date((e.timestamp ?? Date.now() / 1000) * 1000).toISOString(),
        reason: meaning ? `${meaning.code}: ${said ? `${said} ` : ''}(sendgrid ${ev.data})` : (said ?? null),
        providerEventId: e.sg_event_id ?? null,
        suppress: meaning?.suppress ?? null,
        ...(e.traceparent && TRACEPARENT.test(e.traceparent)
          ? { trace: { traceparent: e.traceparent } }
          : {}),
      });
    }
    return out;
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    if (!this.canSend) throw new ProviderError('SendGrid: no API key configured', true, 'NO_API_KEY');
    if (m.channel !== 'email')
      throw new ProviderError(`SendGrid sends email, not ${m.channel}`, true, 'WRONG_CHANNEL');
    try {
      const [res] = await this.mail.send({
        from: m.from,
        subject: m.subject,
        text: m.text,
        html: m.html,
        personalizations: [
          {
            to: [{ email: m.to }],
            customArgs: {
              invite_id: m.inviteId,
              ...(m.trace?.traceparent ? { traceparent: m.trace.traceparent } : {}),
            },
          },
        ],
        categories: ['feedback-gateway'],
        ...(m.headers ? { headers: m.headers } : {}),
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
  if (status === undefined) return networkError('SendGrid', e);
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
