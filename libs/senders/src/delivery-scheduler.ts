import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Clock } from '@fg/common';
import { Channel, CloudEvent, DispatchRequested } from '@fg/contracts';
import { LinkIssuer } from '@fg/links';
import { UnitOfWork } from '@fg/messaging';
import { DueInviteRow, InviteRepository, StoredLinkRow, SurveyLinkRepository } from '@fg/persistence';
import { ChannelSenderService, Dispatch, SENDER_CHANNEL } from './channel-sender.service';

const BATCH = 200;

/**
 * Sends deferred invites again when their next attempt is due: claims them (SKIP LOCKED, so each due send goes
 * to one instance), rebuilds each dispatch from the invite and its link (the URL is derived again from the link's
 * nonce, never stored) and hands them to the sender, which claims, renders and calls as for a first send. Rests
 * while the provider's circuit is open.
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('DeliveryScheduler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly sender: ChannelSenderService,
    private readonly invites: InviteRepository,
    private readonly links: SurveyLinkRepository,
    private readonly issuer: LinkIssuer,
    private readonly clock: Clock,
    @Inject(SENDER_CHANNEL) private readonly channel: Channel,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      if (this.stopped || this.running || !this.sender.circuit.allowsCalls()) return;
      this.running = this.runDue()
        .catch((e: Error) => {
          this.log.error(`retrying deferred sends failed: ${e.message}`);
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, this.cfg.SEND_RETRY_POLL_MS);
  }

  async onModuleDestroy() {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Sends what is due now, a batch at a time; returns how many sends were started. */
  async runDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const effects: (() => Promise<void>)[] = [];
      const n = await this.uow.run(async (em) => {
        const due = await this.invites.dueDeferred(em, this.channel, this.clock.now(), BATCH);
        if (!due.length) return 0;
        const links = new Map(
          (await this.links.findManyById(em, [...new Set(due.map((d) => d.link_id))])).map((l) => [l.id, l]),
        );
        const items = due.flatMap((d) => {
          const link = links.get(d.link_id);
          return link ? [this.dispatchOf(d, link)] : [];
        });
        await this.sender.prepare(em, items, (fn) => effects.push(fn));
        return due.length;
      });
      // The provider calls, after the claims committed (as for a dispatch from Kafka).
      await Promise.all(effects.map((fn) => fn()));
      total += n;
      if (n < BATCH || this.stopped || !this.sender.circuit.allowsCalls()) return total;
    }
  }

  private dispatchOf(d: DueInviteRow, link: StoredLinkRow): Dispatch {
    const data: DispatchRequested = {
      inviteId: d.id,
      caseId: d.case_id,
      distributionId: d.distribution_id,
      kind: d.kind,
      channel: d.channel,
      language: d.language,
      recipient: d.recipient,
      link: { url: this.issuer.urlOf(link), expiresAt: link.expires_at?.toISOString() ?? null },
      variables: link.transaction_data,
      ...(d.use_distribution_account ? {} : { useDistributionAccount: false }),
    };
    const event: CloudEvent<DispatchRequested> = {
      specversion: '1.0',
      id: `retry:${d.id}:${this.clock.now().getTime()}`,
      source: `/feedback-gateway/sender-${this.channel}`,
      type: 'dispatch.requested',
      correlationid: d.id,
      data,
    };
    return { event, correlationId: d.id };
  }
}
