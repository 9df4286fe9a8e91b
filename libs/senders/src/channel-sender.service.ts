import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, Clock, DomainError, Metrics, newId, withCorrelation } from '@fg/common';
import {
  Channel,
  CloudEvent,
  DeliveryReceipt,
  DispatchRequested,
  deadLetterTopicOf,
  dispatchTopicFor,
  encodeCloudEvent,
} from '@fg/contracts';
import {
  CaseRepository,
  DistributionEntity,
  DistributionRepository,
  InviteRepository,
  SurveyLinkRepository,
  TemplateEntity,
  inviteFromRow,
} from '@fg/persistence';
import {
  InviteStatusService,
  QuarantineService,
  SuppressionService,
  TemplateResolver,
  normalizeAddress,
} from '@fg/invites';
import { MessageTransport, OutboxService, TopicNames, UnitOfWork } from '@fg/messaging';
import { composeMessage } from './compose';
import { ChannelProvider, OutgoingMessage, ProviderError, accountOf } from './messages';
import { AccountRateLimiter } from './rate-limiter';

export const SENDER_CHANNEL = Symbol('SENDER_CHANNEL');

export interface Dispatch {
  event: CloudEvent<DispatchRequested>;
  correlationId: string;
}

/** What the provider answered, to be recorded. */
interface RecordedOutcome {
  providerMessageId?: string | null;
  failure?: string;
  suppress?: string;
  fallback?: boolean;
  deadLetter?: Outcome['deadLetter'];
}

/** How long a provider's answer is kept trying to be recorded while the database is unavailable. */
const RECORD_HORIZON_MS = 15 * 60_000;

interface Outcome {
  item: Dispatch;
  receipt: DeliveryReceipt;
  correlationId: string;
  /** A permanent failure: the distribution's fallback channel (if any) gets the invite next. */
  fallback?: Dispatch;
  suppress?: string;
  deadLetter?: { event: CloudEvent<DispatchRequested>; reason: string; code: string };
  done: () => void;
  fail: (e: unknown) => void;
}

/**
 * One sender per channel. In the consumer's transaction: claim the invites (pending → sending), drop the ones
 * whose address is suppressed or whose contact is quarantined, render the messages. The provider is called only
 * after that commits, so a crash can never lead to a second send: a redelivered dispatch finds its invite
 * already claimed and stops (the invite's id rides with the message, so the provider's receipts still
 * correlate; see the reconciler for claims that never got an answer). Calls are paced per sender account and
 * retried with backoff and jitter on 429/5xx/timeouts, honouring Retry-After; permanent refusals are not
 * retried. After the retry cap the dispatch goes to the dead-letter topic with its reason and the invite is
 * Failed. A permanent failure hands the invite to the distribution's fallback channel, if it names one.
 */
@Injectable()
export class ChannelSenderService {
  private readonly log: Logger;
  private readonly outcomes: Outcome[] = [];
  private flushing?: Promise<void>;
  private stopping = false;
  private readonly limiter = new AccountRateLimiter();
  private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  private readonly ratePerSecond: number;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(SENDER_CHANNEL) readonly channel: Channel,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly provider: ChannelProvider,
    private readonly templates: TemplateResolver,
    private readonly statuses: InviteStatusService,
    private readonly suppressions: SuppressionService,
    private readonly quarantine: QuarantineService,
    private readonly outbox: OutboxService,
    private readonly transport: MessageTransport,
    private readonly names: TopicNames,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly links: SurveyLinkRepository,
    private readonly invites: InviteRepository,
    private readonly distributions: DistributionRepository,
    private readonly cases: CaseRepository,
  ) {
    this.log = new Logger(`Sender:${channel}`);
    this.ratePerSecond = {
      email: cfg.SEND_RATE_PER_SECOND_EMAIL,
      sms: cfg.SEND_RATE_PER_SECOND_SMS,
      whatsapp: cfg.SEND_RATE_PER_SECOND_WHATSAPP,
    }[channel];
  }

  async prepare(em: EntityManager, items: Dispatch[], afterCommit: (fn: () => Promise<void>) => void) {
    const now = this.clock.now();
    const claimed = await this.invites.claim(
      em,
      items.map((i) => i.event.data.inviteId),
      now,
    );
    const rows = new Map(claimed.map((r) => [r.id, r]));
    const invites = new Map(claimed.map((r) => [r.id, inviteFromRow(r)]));
    const suppressed = await this.suppressions.active(
      em,
      this.channel,
      claimed.map((r) => r.recipient),
    );
    const quarantined = await this.quarantine.check(
      em,
      this.channel,
      claimed
        .filter((r) => r.kind === 'invitation')
        .map((r) => ({ inviteId: r.id, contactKey: r.contact_key })),
      now,
    );
    // The first send starts a dynamic expiry ("valid N days after sending"); every message shows the real one.
    const expiries = await this.links.startExpiry(
      em,
      [
        ...new Set(
          claimed
            .filter(
              (r) => !quarantined.has(r.id) && !suppressed.has(normalizeAddress(this.channel, r.recipient)),
            )
            .map((r) => r.link_id),
        ),
      ],
      now,
    );
    const dists = new Map(
      (
        await this.distributions.findMany([...new Set(items.map((i) => i.event.data.distributionId))], em)
      ).map((d) => [d.id, d]),
    );
    const templateCache = new Map<string, Promise<TemplateEntity | null>>();
    for (const item of items) {
      const { event, correlationId } = item;
      const d = event.data;
      const invite = invites.get(d.inviteId);
      if (!invite) {
        withCorrelation(correlationId, () =>
          this.log.log(`invite ${d.inviteId} already attempted; not sending again`),
        );
        continue;
      }
      invites.delete(d.inviteId);
      const row = rows.get(d.inviteId)!;
      const s = suppressed.get(normalizeAddress(this.channel, row.recipient));
      if (s) {
        await this.statuses.transition(
          em,
          invite,
          { status: 'Suppressed', deliveryStatus: 'failed', reason: `SUPPRESSED: ${s.reason} (${s.source})` },
          correlationId,
        );
        continue;
      }
      const q = quarantined.get(d.inviteId);
      if (q) {
        await this.statuses.transition(
          em,
          invite,
          { status: 'Quarantined', deliveryStatus: 'failed', reason: q },
          correlationId,
        );
        continue;
      }
      const dist = dists.get(d.distributionId)!;
      const fail = async (reason: string) => {
        await this.statuses.transition(
          em,
          invite,
          { status: 'Failed', deliveryStatus: 'failed', reason },
          correlationId,
        );
        await this.fallBack(em, [{ dispatch: item, dist }]);
      };
      const tk = `${d.distributionId}|${d.kind}|${d.language}`;
      if (!templateCache.has(tk))
        templateCache.set(
          tk,
          this.templates.resolve(
            { distributionId: d.distributionId, channel: this.channel, kind: d.kind },
            d.language,
            dist.defaultLanguage,
            em,
          ),
        );
      const template = await templateCache.get(tk)!;
      if (!template) {
        await fail(`TEMPLATE_NOT_FOUND: no ${this.channel} ${d.kind} template for language ${d.language}`);
        continue;
      }
      let message: OutgoingMessage;
      try {
        const expiresAt = expiries.get(row.link_id);
        message = composeMessage(this.channel, template, dist, {
          ...d,
          link: { ...d.link, expiresAt: expiresAt ? expiresAt.toISOString() : d.link.expiresAt },
        });
      } catch (e) {
        if (e instanceof DomainError) {
          await fail(e.message);
          continue;
        }
        throw e;
      }
      const rate = dist.accounts[this.channel]?.ratePerSecond ?? this.ratePerSecond;
      // Registered under this event's correlation id, so the provider call and its logs carry it.
      withCorrelation(correlationId, () => afterCommit(() => this.deliver(message, rate, item)));
    }
  }

  /**
   * Calls the provider with bounded retries on 429/5xx/timeouts, then records the outcome. Only the provider
   * call is ever retried for the provider's own errors; once an answer is in hand, a failure to record it (the
   * database is down or restarting) retries the recording, never the call: a second call would be a second
   * message.
   */
  private async deliver(m: OutgoingMessage, rate: number, item: Dispatch): Promise<void> {
    const outcome = await this.call(m, rate, item);
    await this.recordDurably(item, outcome);
  }

  private async call(m: OutgoingMessage, rate: number, item: Dispatch): Promise<RecordedOutcome> {
    const max = this.cfg.SEND_MAX_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire(accountOf(m), rate);
      try {
        const res = await this.provider.send(m);
        this.metrics.providerCalls.inc({ provider: this.provider.name, outcome: 'accepted' });
        return { providerMessageId: res.providerMessageId };
      } catch (e) {
        const err =
          e instanceof ProviderError ? e : new ProviderError((e as Error).message, false, 'UNEXPECTED');
        this.metrics.providerCalls.inc({
          provider: this.provider.name,
          outcome: err.permanent ? 'rejected' : 'retry',
        });
        if (err.permanent) {
          this.log.warn(`${this.channel} for invite ${m.inviteId} rejected: ${err.message}`);
          return { failure: `PROVIDER_REJECTED: ${err.code}`, suppress: err.suppress, fallback: true };
        }
        if (attempt >= max) {
          this.log.warn(
            `${this.channel} for invite ${m.inviteId} failed after ${attempt} attempts: ${err.message}`,
          );
          const reason = `PROVIDER_UNAVAILABLE: ${err.code} after ${attempt} attempts`;
          return {
            failure: reason,
            deadLetter: {
              event: item.event,
              reason: `${reason}: ${err.message}`,
              code: 'PROVIDER_UNAVAILABLE',
            },
          };
        }
        const backoff = Math.min(10_000, this.cfg.SEND_RETRY_BASE_MS * 2 ** attempt);
        const wait = Math.min(60_000, err.retryAfterMs ?? backoff / 2 + Math.random() * (backoff / 2));
        await this.sleep(wait);
      }
    }
  }

  /**
   * Records a provider's answer, retrying the recording with backoff while the database can't take it. Gives up
   * only when the process stops or after RECORD_HORIZON_MS; the invite then stays `sending` and the reconciler
   * settles it without sending again.
   */
  private async recordDurably(item: Dispatch, o: RecordedOutcome): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.record(item, o);
      } catch (e) {
        if (this.stopping || Date.now() - started > RECORD_HORIZON_MS) throw e;
        this.metrics.outcomeRecordRetries.inc({ channel: this.channel });
        if (attempt === 0)
          this.log.warn(
            `could not record the provider's answer for invite ${item.event.data.inviteId} (${(e as Error).message}); retrying the recording, not the send`,
          );
        const backoff = Math.min(5_000, 100 * 2 ** attempt);
        await this.sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }

  onModuleDestroy() {
    this.stopping = true;
  }

  /** Outcomes are coalesced: whatever arrived while the previous write ran goes in the next transaction. */
  private record(item: Dispatch, o: RecordedOutcome) {
    return new Promise<void>((done, fail) => {
      this.outcomes.push({
        item,
        receipt: {
          provider: this.provider.name,
          channel: this.channel,
          inviteId: item.event.data.inviteId,
          providerMessageId: o.providerMessageId ?? null,
          event: o.failure ? 'failed' : 'accepted',
          occurredAt: this.clock.now().toISOString(),
          reason: o.failure ?? null,
          // One send outcome per invite: a recording retried after a commit whose answer was lost is a duplicate.
          providerEventId: `send-outcome:${item.event.data.inviteId}`,
          // A rejection's suppression (Twilio 21610 on send) is applied by the sender below, with its source.
          suppress: null,
        },
        correlationId: item.correlationId,
        fallback: o.fallback ? item : undefined,
        suppress: o.suppress,
        deadLetter: o.deadLetter,
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
          for (const b of batch.filter((x) => x.deadLetter)) {
            await this.deadLetter(b.deadLetter!);
            b.deadLetter = undefined; // published: a retried recording doesn't publish it again
          }
          await this.uow.run(async (em) => {
            await this.statuses.applyReceipts(em, batch);
            await this.suppressions.suppress(
              em,
              batch
                .filter((b) => b.suppress)
                .map((b) => ({
                  channel: this.channel,
                  address: b.item.event.data.recipient,
                  reason: b.suppress!,
                  source: `${this.provider.name} rejection`,
                })),
              this.clock.now(),
            );
            const fallbacks = batch.filter((b) => b.fallback && !b.suppress).map((b) => b.fallback!);
            if (fallbacks.length) {
              const dists = new Map(
                (
                  await this.distributions.findMany(
                    [...new Set(fallbacks.map((f) => f.event.data.distributionId))],
                    em,
                  )
                ).map((d) => [d.id, d]),
              );
              await this.fallBack(
                em,
                fallbacks.map((f) => ({ dispatch: f, dist: dists.get(f.event.data.distributionId)! })),
              );
            }
          });
          batch.forEach((b) => b.done());
        } catch (e) {
          batch.forEach((b) => b.fail(e));
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Channel fallback: a distribution may name the next channel to try when one fails permanently (e.g.
   * WhatsApp → SMS). The new invite answers the same rule action (so the rule waits for it instead of failing)
   * and goes to the contact's address on that channel; one fallback per invite.
   */
  private async fallBack(
    em: EntityManager,
    items: { dispatch: Dispatch; dist: DistributionEntity | undefined }[],
  ) {
    for (const { dispatch, dist } of items) {
      const next = dist?.fallback?.[this.channel];
      if (!next || next === this.channel) continue;
      const d = dispatch.event.data;
      const contact = (await this.cases.findById(d.caseId, em))?.contact;
      const to = next === 'email' ? contact?.email : contact?.phone;
      if (!to) {
        this.log.warn(`no ${next} address to fall back to for invite ${d.inviteId}`);
        continue;
      }
      const id = newId();
      if (!(await this.invites.insertFallback(em, d.inviteId, { id, channel: next, recipient: to })))
        continue;
      this.outbox.add(em, {
        topic: dispatchTopicFor[next],
        key: d.caseId,
        correlationId: dispatch.correlationId,
        data: { ...d, inviteId: id, channel: next, recipient: to },
      });
      withCorrelation(dispatch.correlationId, () =>
        this.log.log(
          `invite ${d.inviteId} failed on ${this.channel}; falling back to ${next} (invite ${id})`,
        ),
      );
    }
  }

  private async deadLetter(dl: NonNullable<Outcome['deadLetter']>) {
    const topic = this.names.of(dispatchTopicFor[this.channel]);
    const raw = encodeCloudEvent(dl.event, dl.event.data.caseId);
    await this.transport.publish([
      {
        topic: deadLetterTopicOf(topic),
        key: raw.key,
        value: raw.value,
        headers: {
          ...raw.headers,
          'dlq-reason': dl.reason.slice(0, 2000),
          'dlq-code': dl.code,
          'dlq-consumer': `sender-${this.channel}`,
          'dlq-source-topic': topic,
          'dlq-failed-at': new Date().toISOString(),
        },
      },
    ]);
  }
}
