import { Injectable, Logger } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { Clock, DomainError, Metrics, withCorrelation } from '@fg/common';
import type { DeliveryReceipt, DispatchRequested } from '@fg/contracts';
import { DistributionEntity, TemplateEntity, returnedRows } from '@fg/persistence';
import { InviteRow, InviteStatusService, TemplateRepository, inviteFromRow } from '@fg/invites';
import { MessagingService, OutboxService } from '@fg/messaging';
import { TemplateRenderer } from '@fg/templates';
import { EmailMessage, EmailProvider, ProviderError } from './providers/email.provider';

const MAX_ATTEMPTS = 4;

export interface Dispatch {
  d: DispatchRequested;
  correlationId: string;
}

interface Pending {
  receipt: DeliveryReceipt;
  correlationId: string;
  done: () => void;
  fail: (e: unknown) => void;
}

@Injectable()
export class EmailSenderService {
  private readonly log = new Logger('EmailSender');
  private readonly renderer = new TemplateRenderer();
  private readonly outcomes: Pending[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly provider: EmailProvider,
    private readonly templates: TemplateRepository,
    private readonly statuses: InviteStatusService,
    private readonly outbox: OutboxService,
    private readonly messaging: MessagingService,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
  ) {}

  /**
   * In the consumer's transaction: claim the invites (pending → sending) and render the messages. The
   * provider is called only after that commits, so a crash can never lead to a second send: a redelivered
   * dispatch finds its invite already claimed and stops.
   */
  async prepare(em: EntityManager, items: Dispatch[], afterCommit: (fn: () => Promise<void>) => void) {
    const claimed = returnedRows<InviteRow>(
      await em.query(
        `UPDATE invites SET delivery_status = 'sending', attempted_at = $2
       WHERE id = ANY($1::uuid[]) AND delivery_status = 'pending'
       RETURNING id, action_id, case_id, distribution_id, channel, kind, status, delivery_status, reason, provider_message_id, sent_at`,
        [items.map((i) => i.d.inviteId), this.clock.now()],
      ),
    );
    const invites = new Map(claimed.map((r) => [r.id, inviteFromRow(r)]));
    const dists = new Map(
      (
        await em
          .getRepository(DistributionEntity)
          .findBy({ id: In([...new Set(items.map((i) => i.d.distributionId))]) })
      ).map((d) => [d.id, d]),
    );
    const templateCache = new Map<string, Promise<TemplateEntity | null>>();
    for (const { d, correlationId } of items) {
      const invite = invites.get(d.inviteId);
      if (!invite) {
        withCorrelation(correlationId, () =>
          this.log.log(`invite ${d.inviteId} already attempted; not sending again`),
        );
        continue;
      }
      invites.delete(d.inviteId);
      const dist = dists.get(d.distributionId)!;
      const fail = (reason: string) =>
        this.statuses.transition(
          em,
          invite,
          { status: 'Failed', deliveryStatus: 'failed', reason },
          correlationId,
        );
      const tk = `${d.distributionId}|${d.kind}|${d.language}`;
      if (!templateCache.has(tk))
        templateCache.set(
          tk,
          this.templates.find(
            em,
            { distributionId: d.distributionId, channel: 'email', kind: d.kind },
            d.language,
            dist.defaultLanguage,
          ),
        );
      const template = await templateCache.get(tk)!;
      if (!template) {
        await fail(`TEMPLATE_NOT_FOUND: no email ${d.kind} template for language ${d.language}`);
        continue;
      }
      const from = dist.accounts.email;
      if (!from?.fromEmail) {
        await fail('NO_SENDER_ACCOUNT: the distribution has no email sender identity');
        continue;
      }
      const vars = {
        ...d.variables,
        survey_link: d.link.url,
        survey_link_expires_at: d.link.expiresAt ?? '',
      };
      let message: EmailMessage;
      try {
        message = {
          inviteId: d.inviteId,
          to: d.recipient,
          from: { email: from.fromEmail, name: from.fromName },
          subject: this.renderer.render(template.subject ?? '', vars, { part: 'subject' }),
          html: this.renderer.render(template.html ?? '', vars, { html: true, part: 'html body' }),
          text: this.renderer.render(template.text ?? '', vars, { part: 'text body' }),
        };
      } catch (e) {
        if (e instanceof DomainError) {
          await fail(`${e.code}: ${e.message}`);
          continue;
        }
        throw e;
      }
      // Registered under this event's correlation id, so the provider call and its logs carry it.
      withCorrelation(correlationId, () => afterCommit(() => this.deliver(message, correlationId)));
    }
  }

  /** Calls the provider with bounded retries on 429/5xx/timeouts, then records the outcome. */
  private async deliver(m: EmailMessage, correlationId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.provider.send(m);
        this.metrics.providerCalls.inc({ provider: this.provider.name, outcome: 'accepted' });
        return await this.record(m.inviteId, res.providerMessageId, null, correlationId);
      } catch (e) {
        const err =
          e instanceof ProviderError ? e : new ProviderError((e as Error).message, false, 'UNEXPECTED');
        this.metrics.providerCalls.inc({
          provider: this.provider.name,
          outcome: err.permanent ? 'rejected' : 'retry',
        });
        if (err.permanent || attempt >= MAX_ATTEMPTS) {
          this.log.warn(`email for invite ${m.inviteId} failed: ${err.message}`);
          const why = `${err.permanent ? 'PROVIDER_REJECTED' : 'PROVIDER_UNAVAILABLE'}: ${err.code}`;
          return this.record(m.inviteId, null, why, correlationId);
        }
        const backoff = Math.min(10_000, 250 * 2 ** attempt);
        const wait = Math.min(30_000, err.retryAfterMs ?? backoff / 2 + Math.random() * (backoff / 2));
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Outcomes are coalesced: whatever arrived while the previous write ran goes in the next transaction. */
  private record(
    inviteId: string,
    providerMessageId: string | null,
    failure: string | null,
    correlationId: string,
  ) {
    return new Promise<void>((done, fail) => {
      this.outcomes.push({
        receipt: {
          provider: this.provider.name,
          channel: 'email',
          inviteId,
          providerMessageId,
          event: failure ? 'failed' : 'accepted',
          occurredAt: this.clock.now().toISOString(),
          reason: failure,
          providerEventId: null,
        },
        correlationId,
        done,
        fail,
      });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.outcomes.length) {
        const batch = this.outcomes.splice(0, 500);
        try {
          await this.outbox.transaction((em) => this.statuses.applyReceipts(em, batch));
          batch.forEach((b) => b.done());
          this.messaging.wakeRelay();
        } catch (e) {
          batch.forEach((b) => b.fail(e));
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
