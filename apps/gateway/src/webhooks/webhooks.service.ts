import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode } from '@fg/common';
import { SuppressionService } from '@fg/invites';
import { InboxRepository, OutboxService, UnitOfWork } from '@fg/messaging';
import type { EntityManager } from 'typeorm';
import { InviteRepository } from '@fg/persistence';
import { Messages } from '../landing/i18n';
import {
  ChannelProvider,
  NormalizedReceipt,
  SendGridEmailProvider,
  TwilioProvider,
  WebhookRequest,
} from '@fg/senders';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const twiml = (reply?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${reply ? `<Message>${xml(reply)}</Message>` : ''}</Response>`;

/**
 * Provider webhooks. The provider adapters own both directions: each verifies its signature over the raw request
 * and parses its events into normalized receipts (reason code, suppression). This service only publishes them
 * on `delivery.receipts` (through the outbox) and applies inbound STOP/START to the suppression list.
 */
/** The inbox "consumer" under which inbound Twilio messages are recorded by MessageSid. */
export const INBOUND_CONSUMER = 'webhook:twilio-inbound';

@Injectable()
export class WebhooksService {
  private readonly log = new Logger('Webhooks');
  private readonly inbox = new InboxRepository();
  private readonly sendgrid: SendGridEmailProvider;
  private readonly twilio: TwilioProvider;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly outbox: OutboxService,
    private readonly suppressions: SuppressionService,
    private readonly clock: Clock,
    private readonly invites: InviteRepository,
    private readonly messages: Messages,
  ) {
    this.sendgrid = new SendGridEmailProvider({
      baseUrl: cfg.SENDGRID_API_BASE_URL,
      webhookPublicKey: cfg.SENDGRID_WEBHOOK_PUBLIC_KEY,
      webhookMaxAgeSeconds: cfg.SENDGRID_WEBHOOK_MAX_AGE_SECONDS,
    });
    this.twilio = new TwilioProvider('sms', {
      authToken: cfg.TWILIO_AUTH_TOKEN,
      statusCallbackBase: cfg.PUBLIC_BASE_URL,
    });
  }

  /** The request as the provider signed it: the full public URL (`PUBLIC_BASE_URL` + path and query). */
  request(
    originalUrl: string,
    headers: WebhookRequest['headers'],
    params: Record<string, string>,
    rawBody?: Buffer,
  ) {
    return {
      url: `${this.cfg.PUBLIC_BASE_URL.replace(/\/+$/, '')}${originalUrl}`,
      headers,
      params,
      rawBody,
      receivedAt: this.clock.now(),
    };
  }

  async receipts(provider: 'sendgrid' | 'twilio', req: WebhookRequest): Promise<number> {
    const adapter: ChannelProvider = provider === 'sendgrid' ? this.sendgrid : this.twilio;
    this.verify(adapter, req);
    let receipts: NormalizedReceipt[];
    try {
      receipts = adapter.parseReceipts(req);
    } catch (e) {
      throw new DomainError(ErrorCode.VALIDATION, `body: ${(e as Error).message}`);
    }
    if (receipts.length)
      await this.uow.run(async (em) => {
        // Each receipt continues the trace of the send it reports on (the provider echoed its context).
        for (const { trace, ...r } of receipts)
          this.outbox.add(em, {
            topic: 'deliveryReceipts',
            key: r.inviteId,
            data: r,
            ...(trace ? { trace } : {}),
          });
      });
    this.log.log(`accepted ${receipts.length} ${provider} receipts`);
    return receipts.length;
  }

  /**
   * Inbound SMS / WhatsApp messages: STOP (and its synonyms) puts the sender's number on the channel's
   * suppression list, START lifts it, HELP gets a short answer. Answers in TwiML.
   */
  async twilioInbound(req: WebhookRequest): Promise<string> {
    this.verify(this.twilio, req);
    const k = this.twilio.parseInbound(req);
    if (!k) return twiml();
    const sid = req.params.MessageSid;
    if (!sid || !/^(SM|MM)[0-9a-fA-F]{32}$/.test(sid))
      throw new DomainError(ErrorCode.VALIDATION, 'MessageSid: missing or not a Twilio message SID', {
        fields: [{ field: 'MessageSid', message: 'missing or not a Twilio message SID' }],
      });
    const now = this.clock.now();
    // Each inbound message counts once: a captured START replayed later (same MessageSid) changes nothing and
    // answers nothing, so a number that said STOP stays suppressed.
    const once = (apply: (em: EntityManager) => Promise<unknown>) =>
      this.uow.run(async (em) => {
        if ((await this.inbox.claim(em, INBOUND_CONSUMER, [sid])).size === 0) return false;
        await apply(em);
        return true;
      });
    switch (k.intent) {
      case 'stop': {
        const applied = await once((em) =>
          this.suppressions.suppress(
            em,
            [
              {
                channel: k.channel,
                address: k.from,
                reason: `replied ${k.word}`,
                source: `inbound ${k.channel}`,
              },
            ],
            now,
          ),
        );
        if (!applied) return twiml();
        this.log.log(`${k.channel} number suppressed after ${k.word}`, { from: k.from });
        return twiml(await this.reply(k.from, 'sms.stop'));
      }
      case 'start': {
        const applied = await once((em) =>
          this.suppressions.lift(em, k.channel, k.from, `inbound ${k.channel} ${k.word}`, now),
        );
        if (!applied) return twiml();
        this.log.log(`${k.channel} number resubscribed after ${k.word}`, { from: k.from });
        return twiml(await this.reply(k.from, 'sms.start'));
      }
      case 'help':
        return twiml(await this.reply(k.from, 'sms.help'));
      default:
        return twiml();
    }
  }

  /** A keyword reply in the language of the last message we sent that number (English when none). */
  private async reply(from: string, key: string): Promise<string> {
    // WhatsApp numbers arrive as `whatsapp:+…`; invites may hold either form.
    for (const recipient of new Set([from, from.replace(/^whatsapp:/, '')])) {
      const [last] = await this.invites.search({ distributionIds: null, recipient, limit: 1 });
      if (last) return this.messages.t(this.messages.resolve(last.language), key);
    }
    return this.messages.t('en', key);
  }

  private verify(adapter: ChannelProvider, req: WebhookRequest) {
    if (!adapter.verifyWebhook(req))
      throw new DomainError(
        ErrorCode.INVALID_SIGNATURE,
        `${adapter.name} webhook signature is missing or invalid`,
      );
  }
}
