import type { Channel } from '@fg/contracts';
import { newId } from '@fg/common';
import { SandboxMessageRepository } from '@fg/persistence';
import { ChannelProvider, OutgoingMessage, SendResult, SentQuery } from '../messages';
import { simulatedReceipts } from './sandbox-receipts';

/** Keeps messages in the database instead of sending them (embedded mode); listed at GET /ops/sandbox/messages. */
export class SandboxProvider extends ChannelProvider {
  readonly name = 'sandbox' as const;

  /** `redact`: what the kept text becomes (survey-link URLs replaced by references; none at rest). */
  constructor(
    readonly channel: Channel,
    private readonly messages: SandboxMessageRepository,
    private readonly redact: (text: string) => Promise<string> = (t) => Promise.resolve(t),
    /** Plan the receipts a provider would send (delivered, opened, bounced, failed): see sandbox-receipts.ts. */
    private readonly simulate: { receipts: boolean; now: () => Date } = {
      receipts: false,
      now: () => new Date(),
    },
  ) {
    super();
  }

  /** The sandbox keeps what it "sent": it knows exactly. */
  override async findSent(q: SentQuery) {
    const id = await this.messages.idForInvite(q.inviteId);
    return id ? { providerMessageId: `sandbox-${id}` } : ('not-sent' as const);
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    const id = newId();
    const row = {
      id,
      channel: m.channel,
      inviteId: m.inviteId,
      toAddress: m.to,
      fromAddress: null as string | null,
      subject: null as string | null,
      text: null as string | null,
      html: null as string | null,
    };
    if (m.channel === 'email')
      Object.assign(row, { fromAddress: m.from.email, subject: m.subject, text: m.text, html: m.html });
    else if (m.channel === 'sms')
      Object.assign(row, { fromAddress: m.messagingServiceSid ?? m.from, text: m.body });
    else
      Object.assign(row, {
        fromAddress: m.from,
        subject: m.contentSid ?? null,
        text: m.body ?? JSON.stringify(m.contentVariables ?? {}),
      });
    for (const k of ['subject', 'text', 'html'] as const) {
      const v = row[k];
      if (v) row[k] = await this.redact(v);
    }
    const planned = this.simulate.receipts ? simulatedReceipts(m.channel, m.to) : [];
    const sentAt = this.simulate.now().getTime();
    const receipts = planned.map((r) => ({
      event: r.event,
      at: new Date(sentAt + r.afterMs).toISOString(),
      reason: r.reason,
      suppress: r.suppress,
      ...(m.trace?.traceparent ? { traceparent: m.trace.traceparent } : {}),
    }));
    await this.messages.insert({
      ...row,
      receipts,
      receiptsDueAt: receipts.length ? new Date(receipts[0].at) : null,
    });
    return { providerMessageId: `sandbox-${id}` };
  }
}
