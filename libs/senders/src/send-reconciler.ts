import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Clock } from '@fg/common';
import { Channel } from '@fg/contracts';
import { InviteStatusService } from '@fg/invites';
import { LinkIssuer } from '@fg/links';
import { UnitOfWork } from '@fg/messaging';
import { InviteRepository, SurveyLinkRepository, UnconfirmedInviteRow, inviteFromRow } from '@fg/persistence';
import { SENDER_CHANNEL } from './channel-sender.service';
import { ChannelProvider } from './messages';

/** How long a send to a provider that can't be asked waits for a receipt before it is called unconfirmed. */
const UNASKABLE_GRACE_MS = 30 * 60_000;

export interface ReconcileResult {
  /** The provider had taken them: recorded as sent. */
  sent: number;
  /** The provider has no such message: deferred, sent again now. */
  retried: number;
  /** The provider can't be asked (SendGrid): Failed, UNCONFIRMED_SEND, never sent again. */
  unconfirmed: number;
}

/**
 * Settles sends whose answer was never recorded: the process died (or timed out) during the provider call, so
 * only the provider knows whether the message went out. After SEND_RECONCILE_AFTER_MINUTES (longer than any
 * call's timeout, so no live process still waits for its answer) it asks the provider:
 * - Twilio keeps every message it accepted: found → Invite Sent; not found → sent again (SEND_INTERRUPTED).
 * - SendGrid can't be asked (its activity API is a paid add-on): unless a receipt carrying our invite id settles
 *   it within 30 minutes of the attempt, the invite becomes Failed with UNCONFIRMED_SEND and is never sent again —
 *   at most once.
 * A receipt from the provider, which carries our invite id, settles such an invite too, whatever this decides.
 */
@Injectable()
export class SendReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SendReconciler');
  private handle?: NodeJS.Timeout;
  private running?: Promise<ReconcileResult>;

  constructor(
    private readonly invites: InviteRepository,
    private readonly links: SurveyLinkRepository,
    private readonly issuer: LinkIssuer,
    private readonly uow: UnitOfWork,
    @Inject(SENDER_CHANNEL) private readonly channel: Channel,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly statuses: InviteStatusService,
    private readonly provider: ChannelProvider,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap() {
    const every = Math.min(60_000, Math.max(1_000, this.cfg.SEND_RECONCILE_AFTER_MINUTES * 30_000));
    this.handle = setInterval(() => {
      this.running ??= this.reconcile()
        .catch((e: Error) => {
          this.log.error(`reconcile failed: ${e.message}`);
          return { sent: 0, retried: 0, unconfirmed: 0 };
        })
        .finally(() => (this.running = undefined));
    }, every);
  }

  async onModuleDestroy() {
    clearInterval(this.handle);
    await this.running;
  }

  async reconcile(): Promise<ReconcileResult> {
    const before = new Date(this.clock.now().getTime() - this.cfg.SEND_RECONCILE_AFTER_MINUTES * 60_000);
    const rows = await this.uow.run((em) => this.invites.unconfirmed(em, this.channel, before));
    const result: ReconcileResult = { sent: 0, retried: 0, unconfirmed: 0 };
    if (!rows.length) return result;
    const links = new Map(
      (await this.uow.run((em) => this.links.findManyById(em, [...new Set(rows.map((r) => r.link_id))]))).map(
        (l) => [l.id, l],
      ),
    );
    // Ask first, outside any transaction (these are HTTP calls); record with the attempt as the fence.
    const answers: { row: UnconfirmedInviteRow; answer: Awaited<ReturnType<ChannelProvider['findSent']>> }[] =
      [];
    for (const row of rows) {
      const link = links.get(row.link_id);
      const answer = link
        ? await this.provider.findSent({
            inviteId: row.id,
            to: row.recipient,
            since: row.attempted_at!,
            marker: this.issuer.urlOf(link),
          })
        : null;
      answers.push({ row, answer });
    }
    await this.uow.run(async (em) => {
      const now = this.clock.now();
      const found = answers.filter((a) => a.answer && a.answer !== 'not-sent');
      await this.statuses.applyReceipts(
        em,
        found.map(({ row, answer }) => ({
          receipt: {
            provider: this.provider.name,
            channel: this.channel,
            inviteId: row.id,
            providerMessageId: (answer as { providerMessageId: string | null }).providerMessageId,
            event: 'accepted' as const,
            occurredAt: now.toISOString(),
            reason: null,
            providerEventId: `send-outcome:${row.id}:${row.attempts}`,
            suppress: null,
          },
        })),
      );
      result.sent = found.length;
      const missing = answers.filter((a) => a.answer === 'not-sent');
      await this.statuses.defer(
        em,
        missing.map(({ row }) => ({
          inviteId: row.id,
          attempt: row.attempts,
          nextAttemptAt: now,
          reason: `SEND_INTERRUPTED: the call of attempt ${row.attempts} got no answer and ${this.provider.name} has no such message; sending again`,
        })),
      );
      result.retried = missing.length;
      // A provider that can't be asked gets longer: its webhook (which carries our invite id) usually settles the
      // send within seconds, and a Failed can't be taken back by a later `delivered`.
      const unknown = answers.filter(
        (a) => a.answer === null && a.row.attempted_at!.getTime() < now.getTime() - UNASKABLE_GRACE_MS,
      );
      for (const { row } of unknown)
        await this.statuses.transition(em, inviteFromRow(row), {
          status: 'Failed',
          deliveryStatus: 'failed',
          reason: `UNCONFIRMED_SEND: the call got no answer and ${this.provider.name} can't be asked whether it took the message; not sent again`,
        });
      result.unconfirmed = unknown.length;
    });
    this.log.warn(
      `${rows.length} ${this.channel} send(s) without a recorded answer: ${result.sent} sent, ${result.retried} sent again, ${result.unconfirmed} unconfirmed`,
    );
    return result;
  }
}
