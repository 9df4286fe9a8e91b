import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Clock } from '@fg/common';
import type { Channel, DeliveryReceipt, ReceiptEvent } from '@fg/contracts';
import { OutboxService, UnitOfWork } from '@fg/messaging';
import { SandboxMessageRepository } from '@fg/persistence';
import { SENDER_CHANNEL } from '../channel-sender.service';

/** A receipt the sandbox will report for a message it kept, `afterMs` after it "sent" it. */
export interface PlannedReceipt {
  event: ReceiptEvent;
  afterMs: number;
  reason: string | null;
  suppress: string | null;
}

/** How long after a send the sandbox reports delivery, and an open after that. */
export const SANDBOX_DELIVERED_AFTER_MS = 1_500;
export const SANDBOX_OPENED_AFTER_MS = 4_000;

/**
 * What the sandbox providers report for a recipient, so the funnel, reminders, suppressions and quarantine can be
 * tried without provider accounts (issue 13). Like SendGrid's and Twilio's test addresses:
 * - e-mail `bounce…@…` hard-bounces (the address is suppressed, as a real bounce would);
 * - a phone number `+1555…0001` fails (Twilio 30003, unreachable);
 * - e-mail `open…@…` and WhatsApp `+1555…0002` are delivered, then opened / read;
 * - everyone else is delivered.
 */
export function simulatedReceipts(channel: Channel, to: string): PlannedReceipt[] {
  const delivered: PlannedReceipt = {
    event: 'delivered',
    afterMs: SANDBOX_DELIVERED_AFTER_MS,
    reason: null,
    suppress: null,
  };
  if (channel === 'email') {
    const local = to.split('@')[0].toLowerCase();
    if (local.startsWith('bounce'))
      return [
        {
          event: 'bounce',
          afterMs: SANDBOX_DELIVERED_AFTER_MS,
          reason: 'BOUNCED: 550 5.1.1 mailbox does not exist (sandbox)',
          suppress: 'hard bounce',
        },
      ];
    if (local.startsWith('open'))
      return [delivered, { event: 'open', afterMs: SANDBOX_OPENED_AFTER_MS, reason: null, suppress: null }];
    return [delivered];
  }
  const number = to.replace(/^whatsapp:/, '');
  if (/^\+1555\d*0001$/.test(number))
    return [
      {
        event: 'undelivered',
        afterMs: SANDBOX_DELIVERED_AFTER_MS,
        reason: 'UNDELIVERED: twilio 30003 (sandbox: unreachable handset)',
        suppress: null,
      },
    ];
  if (channel === 'whatsapp' && /^\+1555\d*0002$/.test(number))
    return [delivered, { event: 'read', afterMs: SANDBOX_OPENED_AFTER_MS, reason: null, suppress: null }];
  return [delivered];
}

/**
 * Reports the sandbox's planned receipts when they are due, on `delivery.receipts` like a provider's webhook would
 * (through the outbox, in the transaction that marks them reported: each is reported once, none lost on a
 * restart). Runs in each sender app when CHANNEL_PROVIDERS=sandbox and SANDBOX_RECEIPTS=simulate.
 */
@Injectable()
export class SandboxReceiptSimulator implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SandboxReceipts');
  private handle?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly messages: SandboxMessageRepository,
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxService,
    @Inject(SENDER_CHANNEL) private readonly channel: Channel,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.cfg.CHANNEL_PROVIDERS === 'sandbox' && this.cfg.SANDBOX_RECEIPTS === 'simulate';
  }

  onApplicationBootstrap() {
    if (!this.enabled) return;
    this.handle = setInterval(() => {
      this.running ??= this.report()
        .catch((e: Error) => {
          this.log.warn(`sandbox receipts not reported yet: ${e.message}`);
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, 500);
  }

  async onModuleDestroy() {
    clearInterval(this.handle);
    await this.running;
  }

  /** Publishes every receipt due by now; returns how many. */
  report(): Promise<number> {
    const now = this.clock.now();
    return this.uow.run(async (em) => {
      let n = 0;
      for (const m of await this.messages.dueReceipts(em, this.channel, now, 200)) {
        const due = m.receipts.filter((r) => Date.parse(r.at) <= now.getTime());
        const left = m.receipts.filter((r) => Date.parse(r.at) > now.getTime());
        for (const r of due)
          if (m.invite_id) {
            const receipt: DeliveryReceipt = {
              provider: 'sandbox',
              channel: this.channel,
              inviteId: m.invite_id,
              providerMessageId: `sandbox-${m.id}`,
              event: r.event as ReceiptEvent,
              occurredAt: r.at,
              reason: r.reason,
              providerEventId: `sandbox-${m.id}-${r.event}`,
              suppress: r.suppress,
            };
            this.outbox.add(em, {
              topic: 'deliveryReceipts',
              key: m.invite_id,
              data: receipt,
              trace: r.traceparent ? { traceparent: r.traceparent } : {},
            });
            n++;
          }
        await this.messages.keepReceipts(em, m.id, left);
      }
      return n;
    });
  }
}
