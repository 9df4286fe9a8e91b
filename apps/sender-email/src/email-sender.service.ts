import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, DomainError, Metrics } from '@fg/common';
import type { DispatchRequested } from '@fg/contracts';
import { DistributionEntity, InviteEntity } from '@fg/persistence';
import { InviteStatusService, TemplateRepository } from '@fg/invites';
import { MessagingService, OutboxService } from '@fg/messaging';
import { TemplateRenderer } from '@fg/templates';
import { EmailMessage, EmailProvider, ProviderError } from './providers/email.provider';

const MAX_ATTEMPTS = 4;

@Injectable()
export class EmailSenderService {
  private readonly log = new Logger('EmailSender');
  private readonly renderer = new TemplateRenderer();

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
   * In the consumer's transaction: claim the invite (pending → sending) and render the message. The provider
   * is called only after that commits, so a crash can never lead to a second send: a redelivered dispatch
   * finds the invite already claimed and stops.
   */
  async prepare(em: EntityManager, d: DispatchRequested, afterCommit: (fn: () => Promise<void>) => void) {
    const claimed: unknown[] = await em.query(
      `UPDATE invites SET delivery_status = 'sending', attempted_at = $2 WHERE id = $1 AND delivery_status = 'pending' RETURNING id`,
      [d.inviteId, this.clock.now()],
    );
    if (!claimed.length) {
      this.log.log(`invite ${d.inviteId} already attempted; not sending again`);
      return;
    }
    const invite = await em.getRepository(InviteEntity).findOneByOrFail({ id: d.inviteId });
    const dist = await em.getRepository(DistributionEntity).findOneByOrFail({ id: d.distributionId });
    const fail = (reason: string) =>
      this.statuses.transition(em, invite, { status: 'Failed', deliveryStatus: 'failed', reason });

    const template = await this.templates.find(
      em,
      { distributionId: d.distributionId, channel: 'email', kind: d.kind },
      d.language,
      dist.defaultLanguage,
    );
    if (!template) return fail(`TEMPLATE_NOT_FOUND: no email ${d.kind} template for language ${d.language}`);
    const from = dist.accounts.email;
    if (!from?.fromEmail) return fail('NO_SENDER_ACCOUNT: the distribution has no email sender identity');

    const vars = { ...d.variables, survey_link: d.link.url, survey_link_expires_at: d.link.expiresAt ?? '' };
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
      if (e instanceof DomainError) return fail(`${e.code}: ${e.message}`);
      throw e;
    }
    afterCommit(() => this.deliver(message));
  }

  /** Calls the provider with bounded retries on 429/5xx/timeouts, then records the outcome. */
  private async deliver(m: EmailMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.provider.send(m);
        this.metrics.providerCalls.inc({ provider: this.provider.name, outcome: 'accepted' });
        return await this.record(m.inviteId, res.providerMessageId, null);
      } catch (e) {
        const err =
          e instanceof ProviderError ? e : new ProviderError((e as Error).message, false, 'UNEXPECTED');
        this.metrics.providerCalls.inc({
          provider: this.provider.name,
          outcome: err.permanent ? 'rejected' : 'retry',
        });
        if (err.permanent || attempt >= MAX_ATTEMPTS) {
          this.log.warn(`email for invite ${m.inviteId} failed: ${err.message}`);
          return this.record(
            m.inviteId,
            null,
            `${err.permanent ? 'PROVIDER_REJECTED' : 'PROVIDER_UNAVAILABLE'}: ${err.code}`,
          );
        }
        const backoff = Math.min(10_000, 250 * 2 ** attempt);
        const wait = Math.min(30_000, err.retryAfterMs ?? backoff / 2 + Math.random() * (backoff / 2));
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private async record(inviteId: string, providerMessageId: string | null, failure: string | null) {
    await this.outbox.transaction((em) =>
      this.statuses.applyReceipt(em, {
        provider: this.provider.name,
        channel: 'email',
        inviteId,
        providerMessageId,
        event: failure ? 'failed' : 'accepted',
        occurredAt: this.clock.now().toISOString(),
        reason: failure,
        providerEventId: null,
      }),
    );
    this.messaging.wakeRelay();
  }
}
