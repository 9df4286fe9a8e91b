import { Inject, Injectable, Logger } from '@nestjs/common';
import { validateRequest } from 'twilio';

import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode } from '@fg/common';
import { SuppressionService } from '@fg/invites';
import { DeliveryReceipt, ReceiptEvent, receiptEvent } from '@fg/contracts';
import { OutboxService, UnitOfWork } from '@fg/messaging';
import { SendGridSignatureVerifier } from './sendgrid-signature';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface SendGridEvent {
  event?: string;
  type?: string;
  invite_id?: string;
  sg_event_id?: string;
  sg_message_id?: string;
  timestamp?: number;
  reason?: string;
  response?: string;
}

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP', 'OPTIN']);
const HELP_WORDS = new Set(['HELP', 'INFO']);

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const twiml = (reply?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${reply ? `<Message>${xml(reply)}</Message>` : ''}</Response>`;

const TWILIO_STATUSES: Record<string, ReceiptEvent> = {
  queued: 'queued',
  accepted: 'accepted',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  read: 'read',
};

/**
 * Provider webhooks: verify the signature over the raw request first, then turn each provider event that
 * concerns one of our invites into a `delivery.receipts` event (through the outbox, in one transaction).
 */
@Injectable()
export class WebhooksService {
  private readonly log = new Logger('Webhooks');
  private readonly sendgrid?: SendGridSignatureVerifier;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly outbox: OutboxService,
    private readonly suppressions: SuppressionService,
    private readonly clock: Clock,
  ) {
    if (cfg.SENDGRID_WEBHOOK_PUBLIC_KEY)
      this.sendgrid = new SendGridSignatureVerifier(cfg.SENDGRID_WEBHOOK_PUBLIC_KEY);
  }

  async sendgridEvents(raw: Buffer | undefined, signature?: string, timestamp?: string): Promise<number> {
    if (!this.sendgrid || !raw || !this.sendgrid.verify(raw, signature, timestamp))
      throw new DomainError(
        ErrorCode.INVALID_SIGNATURE,
        'SendGrid event webhook signature is missing or invalid',
      );
    let events: SendGridEvent[];
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (!Array.isArray(parsed)) throw new Error('expected a JSON array of events');
      events = parsed as SendGridEvent[];
    } catch (e) {
      throw new DomainError(ErrorCode.VALIDATION, `body: ${(e as Error).message}`);
    }
    const receipts: DeliveryReceipt[] = [];
    for (const e of events) {
      const name = e.event === 'bounce' && e.type === 'blocked' ? 'blocked' : e.event;
      const ev = receiptEvent.safeParse(name);
      if (!ev.success || !e.invite_id || !UUID.test(e.invite_id)) continue;
      receipts.push({
        provider: 'sendgrid',
        channel: 'email',
        inviteId: e.invite_id,
        providerMessageId: e.sg_message_id?.split('.')[0] ?? null,
        event: ev.data,
        occurredAt: new Date((e.timestamp ?? Date.now() / 1000) * 1000).toISOString(),
        reason: e.reason ?? e.response ?? null,
        providerEventId: e.sg_event_id ?? null,
      });
    }
    await this.publish(receipts);
    return receipts.length;
  }

  /** Twilio status callbacks: our status-callback URL carries `?inviteId=` to correlate. */
  async twilioStatus(
    originalUrl: string,
    params: Record<string, string>,
    signature: string | undefined,
  ): Promise<number> {
    const url = this.verifyTwilio(originalUrl, params, signature);
    const inviteId = new URL(url).searchParams.get('inviteId');
    const event = TWILIO_STATUSES[params.MessageStatus ?? ''];
    if (!inviteId || !UUID.test(inviteId) || !event) return 0;
    const channel = (params.From ?? params.To ?? '').startsWith('whatsapp:') ? 'whatsapp' : 'sms';
    await this.publish([
      {
        provider: 'twilio',
        channel,
        inviteId,
        providerMessageId: params.MessageSid ?? null,
        event,
        occurredAt: new Date().toISOString(),
        reason: params.ErrorCode ? `twilio ${params.ErrorCode}` : null,
        providerEventId: params.MessageSid ? `${params.MessageSid}:${params.MessageStatus}` : null,
      },
    ]);
    return 1;
  }

  /**
   * Inbound SMS / WhatsApp messages: STOP (and its synonyms) puts the sender's number on the channel's
   * suppression list, START lifts it, HELP gets a short answer. Answers in TwiML.
   */
  async twilioInbound(
    originalUrl: string,
    params: Record<string, string>,
    signature: string | undefined,
  ): Promise<string> {
    this.verifyTwilio(originalUrl, params, signature);
    const from = params.From ?? '';
    const channel = from.startsWith('whatsapp:') ? 'whatsapp' : 'sms';
    const word = (params.Body ?? '').trim().toUpperCase();
    const now = this.clock.now();
    if (!from) return twiml();
    if (STOP_WORDS.has(word)) {
      await this.uow.run((em) =>
        this.suppressions.suppress(
          em,
          [{ channel, address: from, reason: `replied ${word}`, source: `inbound ${channel}` }],
          now,
        ),
      );
      this.log.log(`${channel} number suppressed after ${word}`, { from });
      return twiml("You won't receive more survey messages. Reply START to receive them again.");
    }
    if (START_WORDS.has(word)) {
      await this.uow.run((em) =>
        this.suppressions.lift(em, channel, from, `inbound ${channel} ${word}`, now),
      );
      this.log.log(`${channel} number resubscribed after ${word}`, { from });
      return twiml('You will receive survey messages again. Reply STOP to stop.');
    }
    if (HELP_WORDS.has(word))
      return twiml('Survey messages about your support cases. Reply STOP to stop, START to resume.');
    return twiml();
  }

  /** The full public URL the request was signed for, once its X-Twilio-Signature checks out. */
  private verifyTwilio(
    originalUrl: string,
    params: Record<string, string>,
    signature: string | undefined,
  ): string {
    const url = `${this.cfg.PUBLIC_BASE_URL.replace(/\/+$/, '')}${originalUrl}`;
    if (
      !this.cfg.TWILIO_AUTH_TOKEN ||
      !signature ||
      !validateRequest(this.cfg.TWILIO_AUTH_TOKEN, signature, url, params)
    )
      throw new DomainError(ErrorCode.INVALID_SIGNATURE, 'X-Twilio-Signature is missing or invalid');
    return url;
  }

  private async publish(receipts: DeliveryReceipt[]) {
    if (!receipts.length) return;
    await this.uow.run(async (em) => {
      for (const r of receipts) this.outbox.add(em, { topic: 'deliveryReceipts', key: r.inviteId, data: r });
    });
    this.log.log(`accepted ${receipts.length} receipts`);
  }
}
