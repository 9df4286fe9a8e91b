import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type { Channel } from '@fg/contracts';
import { ChannelProvider, OutgoingMessage, ProviderError, SendResult } from '../messages';

/** Twilio error codes that must not be retried, and what each means for the address. */
const PERMANENT: Record<number, { reason: string; suppress?: string }> = {
  21610: { reason: 'RECIPIENT_OPTED_OUT', suppress: 'replied STOP (Twilio 21610)' },
  21211: { reason: 'INVALID_NUMBER' },
  21614: { reason: 'NOT_A_MOBILE_NUMBER' },
  21408: { reason: 'REGION_NOT_ENABLED' },
  21612: { reason: 'UNREACHABLE_DESTINATION' },
  63016: { reason: 'OUTSIDE_WHATSAPP_WINDOW' },
  63024: { reason: 'INVALID_WHATSAPP_RECIPIENT' },
};

/**
 * The official client's transport, pointed at another base URL (a local stub in tests) and without the
 * client's own retries: 429/5xx surface with their Retry-After so the sender's backoff and rate limit decide.
 */
class TwilioTransport extends RequestClient {
  constructor(
    private readonly baseUrl: string | undefined,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, autoRetry: false, keepAlive: true });
  }

  override async request<T>(opts: RequestClient.RequestOptions<T>) {
    const uri = this.baseUrl
      ? opts.uri.replace(/^https:\/\/[^/]+/, this.baseUrl.replace(/\/+$/, ''))
      : opts.uri;
    let res;
    try {
      res = await super.request<T>({ ...opts, uri });
    } catch (e) {
      throw new ProviderError(`Twilio unreachable: ${(e as Error).message}`, false, 'NETWORK');
    }
    if (res.statusCode === 429 || res.statusCode >= 500) {
      const ra = Number((res.headers as Record<string, string> | undefined)?.['retry-after']);
      throw new ProviderError(
        `Twilio ${res.statusCode}: ${JSON.stringify(res.body).slice(0, 300)}`,
        false,
        `HTTP_${res.statusCode}`,
        ra > 0 ? ra * 1000 : undefined,
      );
    }
    return res;
  }
}

/** SMS and WhatsApp through Twilio's Messages API with the official `twilio` client. */
export class TwilioProvider extends ChannelProvider {
  readonly name = 'twilio' as const;
  private readonly client: twilio.Twilio;

  constructor(
    readonly channel: Exclude<Channel, 'email'>,
    opts: {
      accountSid: string;
      authToken: string;
      baseUrl?: string;
      statusCallbackBase: string;
      timeoutMs?: number;
    },
  ) {
    super();
    this.client = twilio(opts.accountSid, opts.authToken, {
      httpClient: new TwilioTransport(opts.baseUrl, opts.timeoutMs ?? 10_000),
    });
    this.callbackBase = `${opts.statusCallbackBase.replace(/\/+$/, '')}/webhooks/twilio/status`;
  }

  private readonly callbackBase: string;

  async send(m: OutgoingMessage): Promise<SendResult> {
    if (m.channel === 'email')
      throw new ProviderError('Twilio sends SMS and WhatsApp, not email', true, 'WRONG_CHANNEL');
    const wa = (n: string) => (m.channel === 'whatsapp' && !n.startsWith('whatsapp:') ? `whatsapp:${n}` : n);
    // Our invite id rides on the status-callback URL: every receipt correlates without a lookup.
    const statusCallback = `${this.callbackBase}?inviteId=${m.inviteId}`;
    const params =
      m.channel === 'sms'
        ? {
            to: m.to,
            body: m.body,
            statusCallback,
            ...(m.messagingServiceSid ? { messagingServiceSid: m.messagingServiceSid } : { from: m.from }),
          }
        : {
            to: wa(m.to),
            from: wa(m.from),
            statusCallback,
            ...(m.contentSid
              ? { contentSid: m.contentSid, contentVariables: JSON.stringify(m.contentVariables ?? {}) }
              : { body: m.body ?? '' }),
          };
    try {
      const msg = await this.client.messages.create(params);
      return { providerMessageId: msg.sid };
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      const err = e as { status?: number; code?: number; message?: string };
      if (typeof err.status !== 'number') throw new ProviderError(`Twilio: ${err.message}`, false, 'NETWORK');
      const known = err.code !== undefined ? PERMANENT[err.code] : undefined;
      throw new ProviderError(
        `Twilio ${err.status} ${err.code ?? ''}: ${err.message ?? ''}`.trim(),
        true,
        known
          ? `${known.reason} (twilio ${err.code})`
          : `HTTP_${err.status}${err.code ? ` twilio ${err.code}` : ''}`,
        undefined,
        known?.suppress,
      );
    }
  }
}
