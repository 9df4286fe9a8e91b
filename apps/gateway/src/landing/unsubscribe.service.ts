import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Clock } from '@fg/common';
import { InviteStatusService, SuppressionService } from '@fg/invites';
import { UnsubscribeLinks } from '@fg/links';
import { UnitOfWork } from '@fg/messaging';
import { InviteEntity, InviteRepository } from '@fg/persistence';

/** How the recipient unsubscribed: their mail client's one-click POST (RFC 8058) or our confirmation page. */
export type UnsubscribeSource = 'one-click' | 'page';

/**
 * Unsubscribing from a message's signed link: the address goes on the channel's suppression list (with why and
 * how), the invite becomes Unsubscribed (published: rules and webhooks see it), and every later message to that
 * address on that channel ends Suppressed. Idempotent.
 */
@Injectable()
export class UnsubscribeService {
  private readonly log = new Logger('Unsubscribe');
  private readonly links: UnsubscribeLinks;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly invites: InviteRepository,
    private readonly suppressions: SuppressionService,
    private readonly statuses: InviteStatusService,
    private readonly clock: Clock,
  ) {
    this.links = new UnsubscribeLinks(cfg.LINK_SIGNING_SECRET, cfg.PUBLIC_BASE_URL);
  }

  /** The invite a token names, when we signed the token and the invite has an address. */
  async find(token: string): Promise<InviteEntity | null> {
    const id = this.links.verify(token);
    const invite = id ? await this.invites.findById(id) : null;
    return invite?.recipient ? invite : null;
  }

  async unsubscribe(invite: InviteEntity, source: UnsubscribeSource): Promise<void> {
    const now = this.clock.now();
    await this.uow.run(async (em) => {
      await this.suppressions.suppress(
        em,
        [
          {
            channel: invite.channel,
            address: invite.recipient,
            reason: 'unsubscribed',
            source: source === 'one-click' ? 'List-Unsubscribe one-click' : 'unsubscribe page',
          },
        ],
        now,
      );
      const locked = (await this.invites.lockMany(em, [invite.id])).get(invite.id);
      if (locked && locked.status !== 'Unsubscribed')
        await this.statuses.transition(em, locked, {
          status: 'Unsubscribed',
          deliveryStatus: locked.deliveryStatus,
          reason: `UNSUBSCRIBED: ${source === 'one-click' ? 'one-click (List-Unsubscribe)' : 'from the unsubscribe page'}`,
        });
    });
    this.log.log(`${invite.channel} address unsubscribed (${source})`, { to: invite.recipient });
  }
}
