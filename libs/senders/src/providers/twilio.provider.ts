import twilio, { validateRequest } from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type { Channel, ReceiptEvent } from '@fg/contracts';
import {
  ChannelProvider,
  InboundKeyword,
  NormalizedReceipt,
  OutgoingMessage,
  ProviderError,
  networkError,
  SendResult,
  SentQuery,
  SendTrace,
  TRACEPARENT,
  UUID,
  WebhookRequest,
} from '../messages';

/** Twilio 21610: the recipient replied STOP to this sender; the number goes on the suppression list. */
const OPTED_OUT = 21610;
const OPTED_OUT_SUPPRESS = 'replied STOP (Twilio 21610)';

/** Twilio error codes that must not be retried, and what each means for the address. */
const PERMANENT: Record<number, { reason: string; suppress?: string }> = {
  [OPTED_OUT]: { reason: 'RECIPIENT_OPTED_OUT', suppress: OPTED_OUT_SUPPRESS },
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
      throw networkError('Twilio', e);
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

/** Twilio's message statuses in our receipt vocabulary. */
const STATUSES: Record<string, ReceiptEvent> = {
  queued: 'queued',
  accepted: 'accepted',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  read: 'read',
};

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP', 'OPTIN']);
const HELP_WORDS = new Set(['HELP', 'INFO']);

/**
 * SMS and WhatsApp through Twilio's Messages API with the official `twilio` client, and Twilio's webhooks: the
 * status callback (its URL carries our invite id: built in `send`, read in `parseReceipts`), inbound STOP/START/
 * HELP, and X-Twilio-Signature over the public URL.
 */
export class TwilioProvider extends ChannelProvider {
  readonly name = 'twilio' as const;
  private readonly client?: twilio.Twilio;
  private readonly callbackBase: string;

  /** `accountSid` + `authToken` to send; `authToken` alone to verify webhooks. */
  constructor(
    readonly channel: Exclude<Channel, 'email'>,
    private readonly opts: {
      accountSid?: string;
      authToken?: string;
      baseUrl?: string;
      statusCallbackBase: string;
      timeoutMs?: number;
    },
  ) {
    super();
    if (opts.accountSid && opts.authToken)
      this.client = twilio(opts.accountSid, opts.authToken, {
        httpClient: new TwilioTransport(opts.baseUrl, opts.timeoutMs ?? 10_000),
      });
    this.callbackBase = `${opts.statusCallbackBase.replace(/\/+$/, '')}/webhooks/twilio/status`;
  }

  /** Where Twilio reports this message's statuses: our invite id rides on the URL, so receipts need no lookup. */
  statusCallbackUrl(inviteId: string, trace?: SendTrace): string {
    const tp =
      trace?.traceparent && TRACEPARENT.test(trace.traceparent) ? `&traceparent=${trace.traceparent}` : '';
    return `${this.callbackBase}?inviteId=${inviteId}${tp}`;
  }

  override verifyWebhook(req: WebhookRequest): boolean {
    const signature = req.headers['x-twilio-signature'];
    return (
      !!this.opts.authToken &&
      !!signature &&
      validateRequest(this.opts.authToken, signature, req.url, req.params)
    );
  }

  /** A status callback: one receipt for the invite its URL names; 21610 and friends coded, 21610 suppresses. */
  override parseReceipts(req: WebhookRequest): NormalizedReceipt[] {
    const query = new URL(req.url).searchParams;
    const inviteId = query.get('inviteId');
    const traceparent = query.get('traceparent');
    const p = req.params;
    const event = STATUSES[p.MessageStatus ?? ''];
    if (!inviteId || !UUID.test(inviteId) || !event) return [];
    const code = p.ErrorCode ? Number(p.ErrorCode) : undefined;
    const failed = event === 'undelivered' || event === 'failed';
    const known = code !== undefined ? PERMANENT[code] : undefined;
    return [
      {
        provider: 'twilio',
        channel: (p.From ?? p.To ?? '').startsWith('whatsapp:') ? 'whatsapp' : 'sms',
        inviteId,
        providerMessageId: p.MessageSid ?? null,
        event,
        occurredAt: new Date().toISOString(),
        reason: failed
          ? `${known?.reason ?? (event === 'undelivered' ? 'UNDELIVERED' : 'DELIVERY_FAILED')}: ${code !== undefined ? `twilio ${code}` : `twilio ${event}`}`
          : code !== undefined
            ? `twilio ${code}`
            : null,
        providerEventId: p.MessageSid ? `${p.MessageSid}:${p.MessageStatus}` : null,
        suppress: code === OPTED_OUT ? OPTED_OUT_SUPPRESS : null,
        ...(traceparent && TRACEPARENT.test(traceparent) ? { trace: { traceparent } } : {}),
      },
    ];
  }

  /** An inbound message's keyword: STOP and its synonyms, START, HELP (Twilio's own opt-out words). */
  parseInbound(req: WebhookRequest): InboundKeyword | null {
    const from = req.params.From ?? '';
    if (!from) return null;
    const word = (req.params.Body ?? '').trim().toUpperCase();
    return {
      channel: from.startsWith('whatsapp:') ? 'whatsapp' : 'sms',
      from,
      word,
      intent: STOP_WORDS.has(word)
        ? 'stop'
        : START_WORDS.has(word)
          ? 'start'
          : HELP_WORDS.has(word)
            ? 'help'
            : null,
    };
  }

  /**
   * Twilio keeps every message it accepted: list the recipient's newest messages and look for one created since
   * the attempt whose text carries this invite's link (a reminder shares the link, but not the time).
   */
  override async findSent(q: SentQuery) {
    if (!this.client) return null;
    const to = this.channel === 'whatsapp' && !q.to.startsWith('whatsapp:') ? `whatsapp:${q.to}` : q.to;
    let list;
    try {
      list = await this.client.messages.list({ to, limit: 50 });
    } catch {
      return null;
    }
    const since = q.since.getTime() - 60_000;
    const hit = list.find(
      (m) =>
        (m.dateCreated ? m.dateCreated.getTime() >= since : true) && (!m.body || m.body.includes(q.marker)),
    );
    return hit ? { providerMessageId: hit.sid } : ('not-sent' as const);
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    if (!this.client)
      throw new ProviderError('Twilio: no account SID and auth token configured', true, 'NO_CREDENTIALS');
    if (m.channel === 'email')
      throw new ProviderError('Twilio sends SMS and WhatsApp, not email', true, 'WRONG_CHANNEL');
    const wa = (n: string) => (m.channel === 'whatsapp' && !n.startsWith('whatsapp:') ? `whatsapp:${n}` : n);
    const statusCallback = this.statusCallbackUrl(m.inviteId, m.trace);
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
      if (typeof err.status !== 'number') throw networkError('Twilio', e);
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
